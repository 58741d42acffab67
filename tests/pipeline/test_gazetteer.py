"""Gazetteer: the table covers all levels, names resolve only when the text determines them."""

from __future__ import annotations

import msgspec
import pytest

from workers.pipeline import gazetteer
from workers.pipeline.model import Region


@pytest.fixture(scope="module")
def gz():
    return gazetteer.get()


def test_gazetteer_covers_every_level(gz):
    levels = {p.level for places in gz.by_name.values() for p in places}
    assert levels == {"province", "city", "county", "township"}
    assert len(gz.places("张家窝镇")) == 1
    assert sum(len(v) for v in gz.by_name.values()) > 40000  # 乡级 rows are there


@pytest.mark.parametrize(
    ("name", "level"),
    [("义乌市", "county"), ("金华市", "city"), ("天津市", "province"), ("锡林郭勒盟", "city"),
     ("大理白族自治州", "city"), ("准格尔旗", "county"), ("平江街道", "township"), ("湖北省", "province")],
)
def test_gazetteer_level_of(gz, name, level):
    assert gz.level_of(name) == level


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("天津市宝坻区人民政府", Region(province="天津市", county="宝坻区", code="120115")),
        ("宝坻人民政府", Region(province="天津市", county="宝坻区", code="120115")),
        ("福州市鼓楼区", Region(province="福建省", city="福州市", county="鼓楼区", code="350102")),
        ("鼓楼区人民政府", Region(county="鼓楼区")),  # four 鼓楼区: no guess
        ("市中区齐村镇", Region(province="山东省", city="枣庄市", county="市中区", township="齐村镇", code="370402")),
        ("城关镇人民政府", Region(township="城关镇")),
        ("仙桃市人民政府", Region(province="湖北省", county="仙桃市", code="429004")),
    ],
)
def test_gazetteer_resolve_from_names(gz, text, expected):
    assert gazetteer.resolve(gz.find(text, shorts=True)) == expected


def test_gazetteer_hint_breaks_a_tie_but_adds_no_candidate(gz):
    strong = gz.find("鼓楼区人民政府")
    assert gazetteer.resolve(strong, gz.find("在开封市委、市政府领导下")).city == "开封市"
    assert gazetteer.resolve(gz.find("关于2022年的报告"), gz.find("开封市")) == Region()


def test_gazetteer_credit_code_locates_and_disambiguates(gz):
    assert gazetteer.resolve([], [], "350102").county == "鼓楼区"
    assert gazetteer.resolve(gz.find("鼓楼区人民政府"), [], "320302").city == "徐州市"


def test_gazetteer_short_forms_only_when_asked_and_not_inside_words(gz):
    assert [m.name for m in gz.find("宝坻人民政府")] == []
    assert [m.name for m in gz.find("中华人民共和国", shorts=True)] == []
    assert [m.name for m in gz.find("南开大学", shorts=True)] == []


def test_gazetteer_longest_match_wins(gz):
    names = [m.name for m in gz.find("内蒙古自治区鄂尔多斯市准格尔旗")]
    assert names == ["内蒙古自治区", "鄂尔多斯市", "准格尔旗"]


def test_gazetteer_credit_code_of_a_merged_district_still_narrows_to_the_city(gz):
    # 3203xx is 徐州: a code of a district that no longer exists still agrees on the city
    assert gazetteer.resolve(gz.find("鼓楼区人民政府"), [], "320399").city == "徐州市"


def test_gazetteer_former_names_still_resolve_without_a_code(gz):
    # 下城区 was merged into 拱墅区 in 2021; a 2019 report still names it
    region = gazetteer.resolve(gz.find("下城区人民政府"))
    assert region == Region(province="浙江省", city="杭州市", county="下城区")


def _build_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "build_gazetteer.py"
    spec = importlib.util.spec_from_file_location("build_gazetteer", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gazetteer_build_keeps_divisions_and_drops_villages_and_zones():
    build = _build_module()
    tree = [
        "天津市\t120000\t天津", "\t天津市\t120000\t天津", "\t\t西青区\t120111\t西青",
        "\t\t\t张家窝镇", "\t\t\t\t张家窝铺村", "\t\t\t西青区开发区",
        "湖北省\t420000\t湖北", "\t省直辖行政区划\t429000\t省直辖", "\t\t仙桃市\t429004\t仙桃", "\t\t\t三伏潭镇",
    ]
    rows = build.build_rows(tree)
    assert ("county", "天津市", "", "西青区", "", "120111", "西青") in rows
    assert ("township", "天津市", "", "西青区", "张家窝镇", "", "") in rows
    assert ("township", "湖北省", "", "仙桃市", "三伏潭镇", "", "") in rows
    assert not any("村" in r[4] or "开发区" in r[4] for r in rows)
    assert not any(r[0] == "city" and r[2] in ("天津市", "省直辖行政区划") for r in rows)


def test_gazetteer_build_adds_former_names_with_their_successor():
    build = _build_module()
    changes = ["2017-04-09\t民批\t湖南省\t湖南\t长沙市\t长沙\t宁乡县\t宁乡=>湖南省\t长沙市\t宁乡市",
               "2002-12-31\t国批\t广西壮族自治区\t广西\t柳州地区\t柳州\t忻城县\t忻城=>广西壮族自治区\t来宾市\t忻城县"]
    rows = build.former_rows(changes, current={("湖南省", "长沙市", "宁乡市")})
    assert rows == [("county", "湖南省", "长沙市", "宁乡县", "", "", "宁乡", "宁乡市")]


def test_gazetteer_bare_jiedao_is_no_division(gz):
    # three divisions are literally named 街道; in a report the word is generic
    assert [m.name for m in gz.find("依托街道综治中心，向阳街道")] == ["向阳街道"]


def test_gazetteer_prose_mention_weaker_than_name_line(gz):
    (title,) = gz.find("石柱土家族自治县人民政府")
    (prose,) = [msgspec.structs.replace(m, prose=True) for m in gz.find("市政府和县委")]
    assert prose.name == "和县"
    region = gazetteer.resolve([title, prose])
    assert region.county == "石柱土家族自治县" and region.province == "重庆市"
    # without the flag the two tie and nothing is answered
    assert gazetteer.resolve([title, msgspec.structs.replace(prose, prose=False)]).county is None


@pytest.mark.parametrize("text", ["金牛乡人民政府", "宝坻镇"])
def test_gazetteer_short_form_before_township_suffix_is_not_the_county(gz, text):
    assert not [m for m in gz.find(text, shorts=True) if m.short]


@pytest.mark.parametrize(
    "text",
    [
        "天津市宝坻区人民政府",
        "ab 12 天津市, 😀宝坻区\ud800武义县。",  # ASCII, a non-BMP character and a lone surrogate
        "市委、市政府和县委",
        "",
    ],
)
def test_gazetteer_find_reports_character_offsets(gz, text):
    # the automaton runs over UTF-8 bytes; offsets must still be character offsets
    for shorts in (False, True):
        for m in gz.find(text, shorts=shorts, offset=3):
            surface = text[m.start - 3 : m.end - 3]
            assert surface == m.name or gz.short_of.get(m.name) == surface
