"""Reading a document's text (issue 14): .docx made here with python-docx, PDFs printed here by Debian's headless
Chromium from an HTML page (Chinese text in a real text layer, as an office's "save as PDF" gives), a blank PDF
(a scan: no text layer), an encrypted one, GB18030 text, and the refusals. 001 printed to PDF reads back into the
same 23 tasks with the same responsible units as the plain text."""

from __future__ import annotations

import html
import io
import subprocess
from pathlib import Path

import pytest

from registry.documents import text_of_bytes, tidy_pdf_text
from registry.errors import InvalidInput
from registry.ingest import propose, read_document
from registry.quotes import normalise

CHROMIUM = Path("/usr/bin/chromium")
DOC_001 = Path(__file__).resolve().parents[2] / "seed" / "documents" / "001_5d877c967d85b7a4.txt"
SHORT = "某县稀土产业提升方案\n1．培育龙头企业。支持赣州测试磁业有限公司扩大产能，到2026年产值突破10亿元。〔责任单位：县工信局、县发改委〕"


def print_pdf(tmp_path: Path, text: str) -> bytes:
    """``text`` (one paragraph a line) as a PDF, printed by headless Chromium: the text layer a browser or an
    office suite writes."""
    if not CHROMIUM.exists():
        pytest.skip("printing a PDF needs /usr/bin/chromium")
    page = tmp_path / "page.html"
    body = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())
    page.write_text(f'<!doctype html><html><head><meta charset="utf-8"></head><body>{body}</body></html>',
                    encoding="utf-8")
    out = tmp_path / "page.pdf"
    subprocess.run([str(CHROMIUM), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--print-to-pdf={out}", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert out.exists(), "chromium wrote no PDF"
    return out.read_bytes()


def test_docx_paragraphs_then_tables():
    from docx import Document

    d = Document()
    for line in SHORT.split("\n"):
        d.add_paragraph(line)
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "指标", "目标值"
    table.cell(1, 0).text, table.cell(1, 1).text = "集群产值", "200亿元"
    buf = io.BytesIO()
    d.save(buf)
    text = text_of_bytes(buf.getvalue(), "方案.docx")
    assert text == SHORT + "\n指标\t目标值\n集群产值\t200亿元"
    [task] = propose(text)["tasks"]
    assert task["responsible_units"] == ["县工信局", "县发改委"]


def test_a_pdf_with_chinese_text_reads_as_written(tmp_path):
    text = text_of_bytes(print_pdf(tmp_path, SHORT), "方案.pdf")
    assert text == SHORT  # no spaces around the digits, the wrapped unit list joined


def test_001_printed_to_pdf_proposes_what_its_text_does(tmp_path):
    plain = read_document(DOC_001)
    text = text_of_bytes(print_pdf(tmp_path, plain), "001.pdf")
    assert normalise(text) == normalise(plain)
    got, want = propose(text), propose(plain)
    assert [(t["number"], t["title"], t["responsible_units"]) for t in got["tasks"]] == \
           [(t["number"], t["title"], t["responsible_units"]) for t in want["tasks"]]
    assert len(got["tasks"]) == 23
    assert {(t["metric"], t["value"]) for t in got["targets"]} == {(t["metric"], t["value"]) for t in want["targets"]}


def test_a_pdf_without_a_text_layer_is_taken_for_a_scan():
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    w.write(buf)
    with pytest.raises(InvalidInput, match="没有文字层.*OCR"):
        text_of_bytes(buf.getvalue(), "扫描件.pdf")


def test_an_encrypted_pdf_is_refused(tmp_path):
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for page in PdfReader(io.BytesIO(print_pdf(tmp_path, SHORT))).pages:
        w.add_page(page)
    w.encrypt("secret")
    buf = io.BytesIO()
    w.write(buf)
    with pytest.raises(InvalidInput, match="已加密"):
        text_of_bytes(buf.getvalue(), "加密.pdf")


@pytest.mark.parametrize("data, name, says", [
    (b"", "a.txt", "is empty"),
    (b"   \n  ", "a.txt", "holds no text"),
    (b"%PDF-1.4 ...", "a.txt", "is not a text file"),
    (b"PK\x03\x04", "a.docx", "not a valid Word"),
    (b"%PDF-1.4 broken", "a.pdf", "not a valid PDF"),
    (b"\xd0\xcf\x11\xe0", "a.doc", "save the document as .docx or .pdf"),
    (b"\x89PNG", "scan.png", "cannot read scan.png"),
])
def test_refusals_say_what_to_do(data, name, says):
    with pytest.raises(InvalidInput, match=says):
        text_of_bytes(data, name)


def test_gb18030_text_and_windows_line_ends():
    assert text_of_bytes(SHORT.replace("\n", "\r\n").encode("gb18030"), "方案.txt") == SHORT


def test_tidying_keeps_headings_and_sentence_ends():
    assert tidy_pdf_text("二、重点任务\n（一）科技协同\n1．提升能力。\n2．加快转化") == "二、重点任务\n（一）科技协同\n1．提升能力。\n2．加快转化"
    assert tidy_pdf_text("Plan of\nthe county") == "Plan of\nthe county"  # not Chinese: left as it is


def test_a_docx_that_unpacks_to_too_much_is_refused_before_it_is_read(monkeypatch):
    """A .docx is a zip: one that would unpack past the limit (a zip bomb) is refused from the sizes it declares,
    before python-docx unpacks anything; a real document under the limit still reads."""
    import zipfile

    from docx import Document

    from registry import documents

    buf = io.BytesIO()
    d = Document()
    d.add_paragraph(SHORT)
    d.save(buf)
    real = buf.getvalue()
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(real)) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        out.writestr("word/media/padding.bin", b"\0" * (3 * 1024 * 1024))  # 3 MB of zeros: a few KB packed
    assert len(bomb.getvalue()) < 100_000
    monkeypatch.setattr(documents, "MAX_DOCX_UNPACKED", 2 * 1024 * 1024)
    with pytest.raises(InvalidInput) as exc:
        text_of_bytes(bomb.getvalue(), "方案.docx")
    assert "超过上限 2 MB" in str(exc.value)
    assert "培育龙头企业" in text_of_bytes(real, "方案.docx")
