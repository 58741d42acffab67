"""Metadata stage on the shared seeds and on report openings written in the style of real
portal pages from other provinces, levels and years."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.pipeline import metadata
from workers.pipeline.model import Doc, RawText, Region

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
if not SEEDS.is_dir():
    SEEDS = Path("/work/shared/seeds")


def run(text: str):
    return metadata.run(Doc(raw=RawText(text=text, media_type="text/plain"), text=text)).metadata


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


SEED_EXPECTED = {
    "000": dict(title="张家窝镇 2021 年度法治政府建设情况报告", issuer="天津市西青区张家窝镇人民政府",
                body_type="government", level="township",
                region=Region(province="天津市", county="西青区", township="张家窝镇", code="120111"),
                report_year=2021, signed_date="2021-12-15", published_date=None, recipient=None,
                framework="2021-2025"),
    "001": dict(title="宝坻区人民政府2022年法治政府建设情况报告", issuer="天津市宝坻区人民政府",
                body_type="government", level="county",
                region=Region(province="天津市", county="宝坻区", code="120115"),
                report_year=2022, signed_date=None, published_date="2023-03-22", recipient=None,
                framework="2021-2025"),
    "003": dict(title="市中区齐村镇2020年度法治政府建设情况报告", issuer="枣庄市市中区齐村镇",
                body_type="government", level="township",
                region=Region(province="山东省", city="枣庄市", county="市中区", township="齐村镇", code="370402"),
                report_year=2020, signed_date=None, published_date=None, recipient=None,
                framework="2015-2020"),
}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared seeds not present")
@pytest.mark.parametrize("prefix", sorted(SEED_EXPECTED))
def test_metadata_seed_fields(prefix):
    md = run(seed(prefix))
    for field, value in SEED_EXPECTED[prefix].items():
        assert getattr(md, field) == value, field


PORTAL_COUNTY = """金华市金东区人民政府门户网站
今天是：2019年10月31日 星期四
首页 > 信息公开 > 法定主动公开内容
索引号：11330703002566123K/2023-00045
主题分类：综合政务
发布机构：金华市金东区人民政府办公室
成文日期：2023-02-15
发布日期：2023-03-20
金东区人民政府关于2022年度法治政府建设情况的报告
市政府：
2022年，金东区在市委、市政府和区委的坚强领导下，全面贯彻落实《法治政府建设实施纲要（2021—2025年）》，法治政府建设取得新成效。现将有关情况报告如下：
一、主要举措和成效
全年共办理行政复议案件32件。
金华市金东区人民政府
二〇二三年二月十五日
"""

COUNTY_BUREAU = """县司法局关于2022年度法治政府建设情况的报告
发布机构：武义县司法局    发布时间：2023-01-30 09:12    浏览次数：321
县委、县政府：
2022年，县司法局在县委、县政府的坚强领导下，认真贯彻《法治政府建设实施纲要（2021—2026年）》，扎实推进各项工作。现将有关情况报告如下：
一、主要举措和成效
"""

JOINT = """中共安化县委 安化县人民政府关于2023年法治政府建设情况的报告
市委、市政府：
2023年，县委、县政府坚持以习近平法治思想为指导，深入落实《法治政府建设实施纲要（2021-2025年）》，现将有关情况报告如下：
中共安化县委        安化县人民政府
2024年2月8日
"""

CITY_2018 = """宜昌市人民政府关于2018年度法治政府建设工作的报告
信息来源：市司法局    发布日期：2019年4月18日
省人民政府：
2018年，全市以建设“职能科学、权责法定、执法严明、公开公正、廉洁高效、守法诚信”的法治政府为目标，扎实推进依法行政。现将有关情况报告如下：
宜昌市人民政府
2019年3月1日
"""

AMBIGUOUS = """鼓楼区人民政府2022年法治政府建设年度报告
2022年，鼓楼区坚持以习近平法治思想为指导，全面推进法治政府建设，现将有关情况报告如下：
"""

AMBIGUOUS_WITH_CITY = """鼓楼区人民政府2022年法治政府建设年度报告
2022年，在福州市委、市政府的坚强领导下，鼓楼区坚持以习近平法治思想为指导，全面推进法治政府建设，现将有关情况报告如下：
"""

COUNTY_CITY = """义乌市人民政府关于2022年度法治政府建设情况的报告
2022年，义乌市坚持以习近平法治思想为指导，全面推进法治政府建设，现将有关情况报告如下：
"""

TOWN_LATE = """当前位置：首页 > 政务公开 > 法治政府建设
城关镇人民政府2023年法治政府建设工作报告
来源：城关镇    发布时间：2024-05-29
县委、县政府：
2023年，城关镇在县委、县政府的正确领导下，扎实推进法治政府建设，现将有关情况报告如下：
城关镇人民政府
2023年12月20日
"""

MUNICIPAL_BUREAU_BAD_DATE = """天津市司法局2022年法治政府建设年度报告
2022年，市司法局深入学习贯彻习近平法治思想，全面落实《法治政府建设实施纲要（2021—2025年）》，现将有关情况报告如下：
天津市司法局
2023年2月30日
"""

LEAGUE_TWO_LINE_TITLE = """锡林郭勒盟行政公署
关于2021年度法治政府建设情况的报告
自治区人民政府：
2021年，盟行政公署坚持以习近平法治思想为指导，现将有关情况报告如下：
锡林郭勒盟行政公署
2022年1月25日
"""

TABLE_HEADER_STREET = """北京市朝阳区人民政府
索引号
11110105MB1234567X/2024-0012
发文机构
北京市朝阳区人民政府麦子店街道办事处
成文日期
2024-01-18
发布日期
2024-02-02
麦子店街道办事处2023年法治政府建设年度报告
区委、区政府：
2023年，麦子店街道在区委、区政府的坚强领导下，坚持以习近平法治思想为指导，现将有关情况报告如下：
"""

SOURCE_IS_DRAFTER = """信息来源：县司法局    发布时间：2022-02-25
来凤县人民政府关于2021年法治政府建设情况的报告
——2022年2月10日在县第九届人民代表大会常务委员会第三次会议上
县人大常委会：
2021年，县人民政府围绕“智能高效、廉洁诚信、人民满意”的法治政府建设目标，扎实推进依法行政。现将有关情况报告如下：
"""

SYNTHETIC = {
    "portal_county": (PORTAL_COUNTY, dict(
        title="金东区人民政府关于2022年度法治政府建设情况的报告", issuer="金华市金东区人民政府",
        body_type="government", level="county",
        region=Region(province="浙江省", city="金华市", county="金东区", code="330703"),
        report_year=2022, signed_date="2023-02-15", published_date="2023-03-20", recipient="市政府",
        framework="2021-2025")),
    "county_bureau": (COUNTY_BUREAU, dict(
        issuer="武义县司法局", body_type="department", level="county",
        region=Region(province="浙江省", city="金华市", county="武义县", code="330723"),
        report_year=2022, signed_date=None, published_date="2023-01-30", recipient="县委、县政府",
        framework="2021-2025")),
    "joint": (JOINT, dict(
        issuer="中共安化县委 安化县人民政府", body_type="party_government_joint", level="county",
        region=Region(province="湖南省", city="益阳市", county="安化县", code="430923"),
        report_year=2023, signed_date="2024-02-08", recipient="市委、市政府", framework="2021-2025")),
    "city_2018": (CITY_2018, dict(
        issuer="宜昌市人民政府", body_type="government", level="city",
        region=Region(province="湖北省", city="宜昌市", code="420500"),
        report_year=2018, signed_date="2019-03-01", published_date="2019-04-18", recipient="省人民政府",
        framework="2015-2020")),
    "ambiguous": (AMBIGUOUS, dict(
        issuer="鼓楼区人民政府", level="county", region=Region(county="鼓楼区"), report_year=2022)),
    "ambiguous_with_city": (AMBIGUOUS_WITH_CITY, dict(
        issuer="福州市鼓楼区人民政府", level="county",
        region=Region(province="福建省", city="福州市", county="鼓楼区", code="350102"))),
    "county_level_city": (COUNTY_CITY, dict(
        level="county", region=Region(province="浙江省", city="金华市", county="义乌市", code="330782"))),
    "town_late": (TOWN_LATE, dict(
        issuer="城关镇人民政府", level="township", region=Region(township="城关镇"),
        signed_date="2023-12-20", published_date="2024-05-29", recipient="县委、县政府")),
    "municipal_bureau": (MUNICIPAL_BUREAU_BAD_DATE, dict(
        issuer="天津市司法局", body_type="department", level="province",
        region=Region(province="天津市", code="120000"), signed_date=None)),
    "league": (LEAGUE_TWO_LINE_TITLE, dict(
        title="锡林郭勒盟行政公署关于2021年度法治政府建设情况的报告", issuer="锡林郭勒盟行政公署",
        body_type="government", level="city", recipient="自治区人民政府", signed_date="2022-01-25",
        framework="2021-2025")),
    "table_header_street": (TABLE_HEADER_STREET, dict(
        title="麦子店街道办事处2023年法治政府建设年度报告", issuer="北京市朝阳区人民政府麦子店街道办事处",
        body_type="government", level="township",
        region=Region(province="北京市", county="朝阳区", township="麦子店街道", code="110105"),
        signed_date="2024-01-18", published_date="2024-02-02", recipient="区委、区政府", report_year=2023)),
    "source_is_drafter": (SOURCE_IS_DRAFTER, dict(
        title="来凤县人民政府关于2021年法治政府建设情况的报告", issuer="来凤县人民政府",
        body_type="government", level="county", published_date="2022-02-25", signed_date=None,
        recipient="县人大常委会", report_year=2021, framework="2021-2025")),
}


MORE = [
    # issuer after 关于
    ("关于宾川县2022年法治政府建设情况的报告\n2022年，宾川县扎实推进法治政府建设，现将有关情况报告如下：\n",
     dict(issuer="宾川县", level="county", report_year=2022)),
    # breadcrumb chrome without 首页; an empty 成文日期 cell must not take the next label's date
    ("政务公开 > 法定主动公开内容 > 法治政府建设年度报告\n平阳县人民政府关于2022年度法治政府建设情况的报告\n成文日期：\n"
     "发布日期：2023-03-01\n2022年，平阳县扎实推进法治政府建设，现将有关情况报告如下：\n",
     dict(title="平阳县人民政府关于2022年度法治政府建设情况的报告", signed_date=None, published_date="2023-03-01")),
    # no body in the title: 发布机构 names it
    ("2022年度依法行政（法治政府建设）工作报告\n发布机构：平阳县人民政府\n2022年，县政府扎实推进依法行政，现将有关情况报告如下：\n",
     dict(issuer="平阳县人民政府", body_type="government", level="county")),
    # header table copied as tab-separated cells, labels padded with spaces
    ("索 引 号：\t11420300011133445A/2023-01234\t主题分类：\t司法\n发文机关：\t十堰市郧阳区人民政府\t成文日期：\t2023年02月20日\n"
     "标　　题：\t郧阳区人民政府关于2022年度法治政府建设情况的报告\n发文字号：\t\t发布日期：\t2023年03月06日\n"
     "郧阳区人民政府关于2022年度法治政府建设情况的报告\n市人民政府：\n2022年，郧阳区全面推进法治政府建设，现将有关情况报告如下：\n",
     dict(title="郧阳区人民政府关于2022年度法治政府建设情况的报告", issuer="十堰市郧阳区人民政府",
          signed_date="2023-02-20", published_date="2023-03-06", recipient="市人民政府",
          region=Region(province="湖北省", city="十堰市", county="郧阳区", code="420304"))),
    # a column name in the page chrome is not the title when a specific one follows
    ("绵竹市人民政府门户网站\n法治政府建设年度报告\n绵竹市2022年法治政府建设年度报告\n2022年，绵竹市扎实推进法治政府建设，现将有关情况报告如下：\n",
     dict(title="绵竹市2022年法治政府建设年度报告", level="county", report_year=2022)),
    # only a header names the body, and it is the government's office publishing for it
    ("关于2022年度法治政府建设情况的报告\n信息来源：临安区人民政府办公室\n2022年，区政府扎实推进依法行政，现将有关情况报告如下：\n",
     dict(issuer="临安区人民政府", body_type="government", level="county")),
    ("温州市市场监督管理局2022年度法治政府建设工作报告\n市政府：\n2022年，市市场监管局扎实推进法治政府建设，现将有关情况报告如下：\n",
     dict(body_type="department", level="city", recipient="市政府")),
    ("瓯海区人民政府办公室关于2022年度法治政府建设情况的报告\n2022年，区政府办扎实推进法治政府建设，现将有关情况报告如下：\n",
     dict(body_type="department", level="county", region=Region(province="浙江省", city="温州市", county="瓯海区", code="330304"))),
    # Chinese-numeral year in the title, date under the signature after 特此报告
    ("二〇二二年度法治政府建设情况报告\n今年以来，我县扎实推进法治政府建设，现将有关情况报告如下：\n特此报告。\n平阳县人民政府\n二〇二三年一月二十日\n",
     dict(report_year=2022, signed_date="2023-01-20", issuer="平阳县人民政府")),
    # 地级市 without districts
    ("东莞市人民政府关于2022年法治政府建设情况的报告\n2022年，东莞市扎实推进法治政府建设，现将有关情况报告如下：\n",
     dict(level="city", region=Region(province="广东省", city="东莞市", code="441900"))),
    # a parent goes in front of a 市辖区 only when the document names it
    ("静海区人民政府关于2022年法治政府建设情况的报告\n2022年，静海区扎实推进法治政府建设，现将有关情况报告如下：\n",
     dict(issuer="静海区人民政府", region=Region(province="天津市", county="静海区", code="120118"))),
    ("静海区人民政府关于2022年法治政府建设情况的报告\n2022年，在天津市委、市政府领导下，静海区扎实推进法治政府建设，现将有关情况报告如下：\n",
     dict(issuer="天津市静海区人民政府")),
    # a county is not prefixed with its city even when the city is named (绥化市人民政府：)
    ("望奎县2017年度法治政府建设工作报告\n绥化市人民政府：\n2017年，望奎县人民政府坚持依法行政，现将有关情况报告如下：\n",
     dict(issuer="望奎县人民政府", recipient="绥化市人民政府", framework="2015-2020")),
    # 人大 speech form: no signature, the bare place completed from the speaker line
    ("关于汝城县2023年度法治政府建设情况的报告\n——2024年2月27日在汝城县第十八届人民代表大会常务委员会第十六次会议上\n"
     "汝城县人民政府副县长  李明华\n主任、各位副主任、秘书长、各位委员：\n受县人民政府委托，现将我县2023年度法治政府建设情况报告如下，请予审议。\n",
     dict(issuer="汝城县人民政府", level="county", recipient=None, signed_date=None, report_year=2023)),
    ("广西壮族自治区人民政府关于2022年度法治政府建设情况的报告\n党中央、国务院：\n2022年，自治区人民政府坚持以习近平法治思想为指导。现将有关情况报告如下。\n",
     dict(level="province", recipient="党中央、国务院", issuer="广西壮族自治区人民政府")),
    ("中共巴彦查干苏木委员会 巴彦查干苏木人民政府2022年法治政府建设工作报告\n2022年，苏木党委、政府扎实推进法治政府建设，现将有关情况报告如下：\n",
     dict(body_type="party_government_joint", level="township")),
    # a 街道 is named in full ("街道" alone is an ordinary word, not a division); a name shared
    # by many districts leaves the parents null
    ("向阳街道办事处2023年法治政府建设年度报告\n区委、区政府：\n2023年，向阳街道在区委、区政府的领导下，推进法治街道建设，依托街道综治中心化解纠纷。现将有关情况报告如下：\n",
     dict(level="township", region=Region(township="向阳街道"))),
    ("丽君街道办事处2022年度法治政府建设情况报告\n中共秀峰区委、秀峰区人民政府：\n2022年，丽君街道办事处在区委、区政府的领导下，深入推进法治街道建设。现将有关情况报告如下：\n",
     dict(level="township", region=Region(province="广西壮族自治区", city="桂林市", county="秀峰区", township="丽君街道", code="450302"))),
    # a name read in prose ("市委、市政府和县委" holds 和县) does not outweigh the title's
    ("石柱土家族自治县人民政府关于2020年法治政府建设情况的报告\n市政府：\n2020年，县政府在市委、市政府和县委的坚强领导下，推进法治政府建设。现将有关情况报告如下：\n",
     dict(level="county", region=Region(province="重庆市", county="石柱土家族自治县", code="500240"))),
    # a town the gazetteer lacks is still named by its government; 金牛 is no short form of 金牛区 here
    ("金牛乡2022年法治政府建设工作报告\n县委全面依法治县委员会办公室：\n今年以来，金牛乡党委、政府扎实推进依法行政。现将2022年工作情况报告如下：\n一、主要工作\n略。\n金牛乡人民政府\n2022年12月28日\n",
     dict(level="township", issuer="金牛乡人民政府", region=Region(township="金牛乡"))),
]


@pytest.mark.parametrize(("text", "expected"), MORE)
def test_metadata_more_openings(text, expected):
    md = run(text)
    for field, value in expected.items():
        assert getattr(md, field) == value, field


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_metadata_synthetic_openings(name):
    text, expected = SYNTHETIC[name]
    md = run(text)
    for field, value in expected.items():
        assert getattr(md, field) == value, field


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_metadata_evidence_spans_quote_the_value(name):
    text, _ = SYNTHETIC[name]
    md = run(text)
    ev = md.evidence
    if md.recipient:
        assert text[ev["recipient"].start: ev["recipient"].end] == md.recipient
    if md.report_year:
        assert text[ev["report_year"].start: ev["report_year"].end] == str(md.report_year)
    if md.title and "\n" not in text[ev["title"].start: ev["title"].end]:
        assert text[ev["title"].start: ev["title"].end] == md.title
    for field in ("signed_date", "published_date"):
        if getattr(md, field):
            quote = text[ev[field].start: ev[field].end]
            assert any(ch.isdigit() or ch in "〇一二三" for ch in quote)


def test_metadata_stale_chrome_date_is_never_a_document_date():
    text = "今天是：2019年10月31日 星期四\n宾川县人民政府关于2021年法治政府建设情况的报告\n2021年，县政府扎实推进法治政府建设。\n"
    md = run(text)
    assert md.signed_date is None and md.published_date is None
    assert md.report_year == 2021


def test_metadata_report_year_from_first_sentence_when_title_has_none():
    text = "平阳县人民政府法治政府建设情况报告\n2023年，县政府坚持以习近平法治思想为指导，全面推进依法行政。\n"
    md = run(text)
    assert md.report_year == 2023
    assert md.framework == "2021-2025"


def test_metadata_garbled_signature_date_is_null():
    text = "宾川县人民政府关于2022年法治政府建设情况的报告\n2022年，县政府扎实推进依法行政。\n宾川县人民政府\n2023年13月5日\n"
    assert run(text).signed_date is None


def test_metadata_empty_text_gives_empty_metadata():
    md = run("")
    assert md.title is None and md.issuer is None and md.region == Region()
