import pytest

from fazhi.settings import get_settings
from workers.errors import BadEncoding, EmptyDocument, UnsupportedType
from workers.ingest import read_document
from workers.ingest.sniff import BINARY, PDF, TEXT, require_supported, sniff
from workers.ingest.text import decode_text

REPORT = "某某市人民政府关于2023年法治政府建设情况的报告\n一、主要举措\n全年办理行政复议案件126件。\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", PDF),
        (b"\x00" * 20 + b"junk before header %PDF-1.4\n", PDF),  # header within the first KB
        (b"PK\x03\x04\x14\x00\x06\x00word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (b"PK\x03\x04\x14\x00\x06\x00images/a.png", "application/zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "application/x-ole-storage"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        ("  <!DOCTYPE html><html><body>报告</body></html>".encode(), "text/html"),
        (b"\xef\xbb\xbf<html lang=zh>", "text/html"),
        (bytes(range(256)) * 4, BINARY),
        (REPORT.encode("utf-8"), TEXT),
        (REPORT.encode("gbk"), TEXT),
        (b"\xff\xfe" + REPORT.encode("utf-16-le"), TEXT),
        (b"", TEXT),
    ],
    ids=["pdf", "pdf-late-header", "docx", "zip", "ole", "png", "html", "html-bom", "noise", "utf8", "gbk", "utf16", "empty"],
)
def test_sniff_media_type_by_magic_bytes(data, expected):
    assert sniff(data) == expected


def test_sniff_pdf_header_after_first_kb_is_not_pdf():
    assert sniff(b"a" * 2000 + b"%PDF-1.4") == TEXT


@pytest.mark.parametrize("media_type", ["application/zip", BINARY, "image/png"])  # HTML and DOCX are read (issue 6)
def test_sniff_require_supported_rejects_with_advice(media_type):
    with pytest.raises(UnsupportedType) as info:
        require_supported(media_type)
    assert info.value.code == "input.unsupported_type"
    assert "DOCX, HTML, PDF or plain text" in info.value.message


@pytest.mark.parametrize(
    "data",
    [
        REPORT.encode("utf-8"),
        b"\xef\xbb\xbf" + REPORT.encode("utf-8"),
        REPORT.encode("gbk"),
        REPORT.encode("gb18030"),
        b"\xff\xfe" + REPORT.encode("utf-16-le"),
        b"\xfe\xff" + REPORT.encode("utf-16-be"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "gb18030", "utf16le-bom", "utf16be-bom"],
)
def test_ingest_text_decodes_common_encodings(data):
    assert decode_text(data) == REPORT


@pytest.mark.parametrize(
    "data",
    [
        REPORT.encode("utf-16-le"),  # UTF-16 without a BOM: NUL bytes
        b"\x80\x80\x80\xff\xff",  # neither UTF-8 nor GB18030
        "报告".encode("utf-8") + b"\x01\x02\x03\x04\x05\x06" * 5,  # control-character soup
        b"\xef\xbb\xbf\xff\xfe\x80",  # UTF-8 BOM but invalid UTF-8
    ],
    ids=["utf16-no-bom", "undecodable", "controls", "bad-after-bom"],
)
def test_ingest_text_rejects_bad_encoding(data):
    with pytest.raises(BadEncoding) as info:
        decode_text(data)
    assert info.value.code == "input.bad_encoding"


@pytest.mark.parametrize("data", [b"", b"   \n\t ", "\u3000\u3000\n".encode("utf-8"), b"\xef\xbb\xbf  \r\n"])
def test_ingest_read_document_empty(data):
    with pytest.raises(EmptyDocument):
        read_document(data, TEXT, settings=get_settings(environ={}))


def test_ingest_read_document_text_returns_rawtext():
    raw = read_document(REPORT.encode("gbk"), TEXT, settings=get_settings(environ={}))
    assert raw.text == REPORT
    assert raw.media_type == TEXT
    assert raw.pages is None


def test_ingest_read_document_refuses_unsupported_type():
    with pytest.raises(UnsupportedType):
        read_document(b"PK\x03\x04abc", "application/zip", settings=get_settings(environ={}))
