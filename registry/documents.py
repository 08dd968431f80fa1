"""A document's text from its bytes: plain text (UTF-8 / GB18030), Word ``.docx`` and ``.pdf`` with a text layer.

``text_of_bytes(data, filename)`` is the one reader the CLI (``registry.ingest.read_document``) and the web
upload (``web.ingest``) share. Every refusal is an ``InvalidInput`` in Chinese and English that says what to
do: an empty file, a type that is not read (``.doc``, ``.wps``, images…), a ``.docx`` that is not a Word file,
a PDF that is encrypted or has no text layer (a scan: run OCR on it first, or paste its text).

- ``.docx``: python-docx; paragraphs in order, then tables row by row (cells joined by a tab), one line each;
- ``.pdf``: pypdf; the text of each page in order. A PDF's text breaks lines where the page does, which the
  quotes do not mind (``registry.quotes`` compares without whitespace).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from .errors import InvalidInput

TEXT_SUFFIXES = (".txt", ".text", ".md", "")
DOCX_SUFFIXES = (".docx",)
PDF_SUFFIXES = (".pdf",)
READABLE = (".txt", ".docx", ".pdf")      # what the upload form offers
MAX_PAGES = 500
MAX_DOCX_UNPACKED = 100 * 1024 * 1024  # a .docx is a zip: what it unpacks to is checked before reading (a zip bomb)
MIN_TEXT_CHARS = 20                       # a PDF with less text than this over all its pages is taken for a scan
_HAN_OR_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


def _refuse(zh: str, en: str, field: str = "file", value: str = "") -> InvalidInput:
    return InvalidInput(f"{zh} / {en}", details=[{"field": field, "value": value, "message": en}])


def text_of_bytes(data: bytes, filename: str) -> str:
    """The text of the document ``filename`` whose bytes are ``data`` (line ends made ``\\n``)."""
    name = Path(filename or "").name
    suffix = Path(name).suffix.lower()
    if not data:
        raise _refuse(f"文件 {name} 是空的", f"the file {name} is empty", value=name)
    if suffix in DOCX_SUFFIXES:
        text = _docx(data, name)
    elif suffix in PDF_SUFFIXES:
        text = _pdf(data, name)
    elif suffix in TEXT_SUFFIXES:
        if b"\x00" in data[:4096] or data[:4] in (b"%PDF", b"PK\x03\x04"):
            raise _refuse(f"{name} 不是文本文件（扩展名与内容不符）", f"{name} is not a text file (its name and "
                          "content disagree)", value=name)
        from .ingest import decode

        text = decode(data)
    elif suffix in (".doc", ".wps"):
        raise _refuse(f"不能读取旧版 {suffix} 文件：请在 Word/WPS 中另存为 .docx 或 .pdf 后再上传",
                      f"old {suffix} files cannot be read: save the document as .docx or .pdf and upload that",
                      value=name)
    else:
        raise _refuse(f"不能读取 {suffix or '无扩展名'} 文件 {name}：请上传 .txt（UTF-8 或 GB18030）、.docx 或带文字层的 .pdf",
                      f"cannot read {name}: upload a .txt (UTF-8 or GB18030), .docx or a .pdf with a text layer",
                      value=name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise _refuse(f"文件 {name} 中没有文字", f"the file {name} holds no text", value=name)
    return text


def sniff(data: bytes, filename: str) -> None:
    """The quick look before a .docx or .pdf is read (in the background): not empty, and its first bytes are
    those of its type. The reading itself (``text_of_bytes``) says the rest (a scan, an encrypted file)."""
    name = Path(filename or "").name
    suffix = Path(name).suffix.lower()
    if not data:
        raise _refuse(f"文件 {name} 是空的", f"the file {name} is empty", value=name)
    if suffix in PDF_SUFFIXES and b"%PDF" not in data[:1024]:
        raise _refuse(f"{name} 不是有效的 PDF 文件", f"{name} is not a valid PDF file", value=name)
    if suffix in DOCX_SUFFIXES and not data.startswith(b"PK\x03\x04"):
        raise _refuse(f"{name} 不是有效的 Word（.docx）文件", f"{name} is not a valid Word (.docx) file", value=name)


def plain(text: str) -> str:
    """Text without the control characters a record may not hold (a PDF's stray ones), tabs and newlines kept."""
    from .model import _BAD_CHARS

    return _BAD_CHARS.sub("", text)


def _docx(data: bytes, name: str) -> str:
    import zipfile

    try:
        from docx import Document
    except ImportError as exc:  # pragma: no cover - a dependency of the project (pyproject.toml)
        raise _refuse("未安装 python-docx，不能读取 .docx", "python-docx is not installed") from exc
    try:
        # the sizes the zip declares bound what reading it unpacks (zipfile stops at each member's file_size)
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile as exc:
        raise _refuse(f"{name} 不是有效的 Word（.docx）文件", f"{name} is not a valid Word (.docx) file",
                      value=name) from exc
    if unpacked > MAX_DOCX_UNPACKED:
        raise _refuse(f"{name} 解压后有 {unpacked // 1048576} MB，超过上限 {MAX_DOCX_UNPACKED // 1048576} MB："
                      "请另存为较小的文件或粘贴文字",
                      f"{name} unpacks to {unpacked // 1048576} MB, more than {MAX_DOCX_UNPACKED // 1048576} MB: "
                      "save a smaller file or paste the text", value=name)
    try:
        doc = Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise _refuse(f"{name} 不是有效的 Word（.docx）文件", f"{name} is not a valid Word (.docx) file",
                      value=name) from exc
    except Exception as exc:  # python-docx raises its own PackageNotFoundError and lxml errors for broken files
        raise _refuse(f"{name} 不是有效的 Word（.docx）文件（{type(exc).__name__}）",
                      f"{name} is not a valid Word (.docx) file ({type(exc).__name__})", value=name) from exc
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            cells = []
            for cell in row.cells:
                t = cell.text.strip()
                if not cells or cells[-1] != t:  # a merged cell repeats in every column it spans
                    cells.append(t)
            lines.append("\t".join(cells))
    return "\n".join(lines)


def _pdf(data: bytes, name: str) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover
        raise _refuse("未安装 pypdf，不能读取 .pdf", "pypdf is not installed") from exc
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise _refuse(f"{name} 已加密，不能读取：请提供未加密的文件", f"{name} is encrypted: provide an "
                              "unencrypted file", value=name)
        pages = reader.pages
        if len(pages) > MAX_PAGES:
            raise _refuse(f"{name} 有 {len(pages)} 页，超过上限 {MAX_PAGES} 页",
                          f"{name} has {len(pages)} pages, more than {MAX_PAGES}", value=name)
        texts = [(page.extract_text() or "") for page in pages]
    except InvalidInput:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise _refuse(f"{name} 不是有效的 PDF 文件", f"{name} is not a valid PDF file", value=name) from exc
    text = tidy_pdf_text("\n".join(t.strip("\n") for t in texts))
    if len(_HAN_OR_WORD.findall(text)) < MIN_TEXT_CHARS:
        raise _refuse(f"{name} 没有文字层（可能是扫描件）：请先做文字识别（OCR），或把文字粘贴到页面上",
                      f"{name} has no text layer (a scan?): run OCR on it first, or paste its text", value=name)
    return text


_WIDE = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_SPACE_BY_WIDE = re.compile(rf"(?<=[{_WIDE}])[ \t]+|[ \t]+(?=[{_WIDE}])")
_SENTENCE_END = re.compile(r"[。；：！？!?;:〕）)】」』”]\s*$")
_HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}\s*[．.、]|附件|第[一二三四五六七八九十\d]+[章节条])")


def tidy_pdf_text(text: str) -> str:
    r"""A PDF's text as the document wrote it: no spaces the extraction puts between Chinese and digits
    (到 2026 年 -> 到2026年), and the page's line breaks inside a paragraph joined (县\n工信局 -> 县工信局):
    a line is joined to the one before when that one is a full line of the page, or does not end a sentence;
    never before a heading (二、 （三） 7．).

    >>> tidy_pdf_text("1 ．培育企业，到 2026 年产值突破 10 亿元。〔责任单位：县\n工信局〕\n2．下一项")
    '1．培育企业，到2026年产值突破10亿元。〔责任单位：县工信局〕\n2．下一项'
    """
    lines = [_SPACE_BY_WIDE.sub("", ln).rstrip() for ln in text.split("\n")]
    widths = sorted(_width(ln) for ln in lines if ln.strip())
    full = widths[int(len(widths) * 0.9)] * 0.9 if len(widths) >= 10 else float("inf")
    out: list[str] = []
    for ln in lines:
        prev = out[-1] if out else ""
        if (prev.strip() and ln.strip() and not _HEADING.match(ln) and _JOINABLE_END.search(prev)
                and (_width(prev) >= full or (not _SENTENCE_END.search(prev) and len(prev) >= 8))):
            out[-1] = prev + ln.lstrip()
        else:
            out.append(ln)
    return "\n".join(out)


_JOINABLE_END = re.compile(rf"[{_WIDE}0-9\-]$")


def _width(line: str) -> int:
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in line)


def read_path(path: str | Path) -> str:
    """The text of a document file on disk (see ``text_of_bytes``)."""
    p = Path(path)
    if not p.is_file():
        raise _refuse(f"找不到文件：{p}", f"no such file: {p}", value=str(p))
    return text_of_bytes(p.read_bytes(), p.name)
