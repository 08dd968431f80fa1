"""Reading a document on the web (issue 14): upload (.txt, .docx, pasted text), the review page, decisions kept
across reloads, accept all / reject all, edits, apply as one change set, and the refusals (a scan, a wrong type,
an empty file, no reason, a viewer). On the real embedded store, through the test client."""

from __future__ import annotations

import io
import re
import time
from html import unescape
from pathlib import Path

import pytest

from registry.repository import Registry
from registry.tasks import Tasks
from web.store import store_holder

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "seed" / "documents" / "001_5d877c967d85b7a4.txt"
SHORT = ("关于印发《某县稀土产业提升方案》的通知\n\n二、重点任务\n1．培育龙头企业。支持赣州测试磁业有限公司扩大产能，到2026年产值突破10亿元。"
         "〔责任单位：县工信局、县发改委〕\n")


def csrf_of(client, path="/ingest") -> str:
    return CSRF.search(client.get(path).get_data(as_text=True))[1]


def send(client, *, data: bytes | None = None, name: str = "plan.txt", pasted: str = "", title: str = ""):
    body = {"csrf_token": csrf_of(client), "pasted": pasted, "title": title}
    if data is not None:
        body["file"] = (io.BytesIO(data), name)
    return client.post("/ingest", data=body, content_type="multipart/form-data")


def token_of(resp) -> str:
    assert resp.status_code == 303, unescape(resp.get_data(as_text=True))[:2000]
    return resp.headers["Location"].rstrip("/").split("/")[-1]


def review(client, token: str, seconds: float = 60) -> tuple[int, str]:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s = client.get(f"/ingest/{token}/status.json").get_json()
        if s["status"] != "running":
            break
        time.sleep(0.05)
    r = client.get(f"/ingest/{token}")
    return r.status_code, unescape(r.get_data(as_text=True))


def decide(client, token: str, **form):
    return client.post(f"/ingest/{token}/review", data={"csrf_token": csrf_of(client, f"/ingest/{token}"), **form})


def stat(html: str, name: str) -> int:
    return int(re.search(rf'id="count-{name}"><b>(\d+)</b>', html)[1])


def test_upload_review_accept_all_apply_and_the_change_set(editor_client, app):
    token = token_of(send(editor_client, data=DOC.read_bytes(), name=DOC.name))
    status, html = review(editor_client, token)
    assert status == 200 and 'id="group-tasks"' in html and 'id="group-organisations"' in html
    assert stat(html, "pending") > 100 and stat(html, "accepted") == 0 and stat(html, "writes") == 0
    assert "<mark>50家</mark>" in html and "突出以中国稀土集团为链主" in html
    # accept the tasks only: kept on the server, a reload shows it
    assert decide(editor_client, token, bulk="accept:tasks").status_code == 303
    _, html = review(editor_client, token)
    assert stat(html, "accepted") == 23 and 'name="do:task:0" value="accept" checked' in html
    # an edit and a rejection, then everything else accepted
    decide(editor_client, token, **{"do:task:1": "reject", "edit:task:0:title": "提升自主创新能力（已核）"})
    decide(editor_client, token, bulk="accept:targets")
    decide(editor_client, token, bulk="accept:organisations")
    decide(editor_client, token, bulk="accept:relations")
    # relations whose ends are segments not yet accepted are held as problems, named
    _, html = review(editor_client, token)
    assert stat(html, "problems") > 0 and "风电电机" in html
    decide(editor_client, token, bulk="accept:segments")
    _, html = review(editor_client, token)
    assert stat(html, "rejected") == 1 and stat(html, "problems") == 0 and "（已核）" in html
    # no reason: refused, nothing written
    r = decide(editor_client, token, apply="1", why="")
    assert r.status_code == 400 and "请填写修改理由" in unescape(r.get_data(as_text=True))
    reg = Registry(store_holder(app).get())
    assert Tasks(reg).list() == []
    r = decide(editor_client, token, apply="1", why="录入区政府新印发的方案")
    assert r.status_code == 303
    _, html = review(editor_client, token)
    assert 'id="ingest-done"' in html, html[:3000]
    set_id = re.search(r'href="/import/set/([0-9a-f]{32})"', html)[1]
    tasks = Tasks(reg).list()
    assert len(tasks) == 22 and tasks[0]["title"] == "提升自主创新能力（已核）" and 2 not in [t["number"] for t in tasks]
    cs = editor_client.get(f"/import/set/{set_id}")
    assert cs.status_code == 200 and DOC.name in unescape(cs.get_data(as_text=True))
    # applied once only
    assert decide(editor_client, token, apply="1", why="再来").status_code == 409


def test_docx_and_pasted_text_are_read(editor_client):
    from docx import Document

    d = Document()
    for line in SHORT.split("\n"):
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    status, html = review(editor_client, token_of(send(editor_client, data=buf.getvalue(), name="方案.docx")))
    assert status == 200 and "培育龙头企业" in html and "县工信局" in html and "10亿元" in html
    status, html = review(editor_client, token_of(send(editor_client, pasted=SHORT, title="某县方案")))
    assert status == 200 and "某县方案.txt" in html and "培育龙头企业" in html
    assert 'value="某县稀土产业提升方案"' in html   # the document's title, read from 关于印发《…》


@pytest.mark.parametrize("data, name, says", [
    (b"", "plan.txt", "is empty"),
    (b"", "plan.pdf", "is empty"),
    (b"\x89PNG\r\n\x1a\n", "scan.png", "cannot read scan.png"),
    (b"not a zip", "plan.docx", "not a valid Word"),
    (b"<html>", "plan.pdf", "not a valid PDF"),
    (b"old word", "plan.doc", "save the document as .docx"),
])
def test_bad_files_are_refused_clearly(editor_client, data, name, says):
    r = send(editor_client, data=data, name=name)
    assert r.status_code == 400 and says in unescape(r.get_data(as_text=True))


def test_a_pdf_without_a_text_layer_is_refused_as_a_scan_when_read(editor_client):
    """A .pdf is read in the background: what it holds is said on the review page."""
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    w.write(buf)
    status, html = review(editor_client, token_of(send(editor_client, data=buf.getvalue(), name="扫描件.pdf")))
    assert status == 400 and 'id="read-error"' in html and "没有文字层" in html and "OCR" in html
    status, html = review(editor_client, token_of(send(editor_client, data=b"PK\x03\x04broken", name="坏.docx")))
    assert status == 400 and "不是有效的 Word" in html


def test_nothing_given_and_both_given_are_refused(editor_client):
    assert "请选择文件或粘贴文字" in unescape(send(editor_client).get_data(as_text=True))
    r = send(editor_client, data=SHORT.encode(), pasted=SHORT)
    assert r.status_code == 400 and "不要同时提供" in unescape(r.get_data(as_text=True))


def test_viewers_cannot_ingest_and_others_cannot_see_my_review(app, sign_in, editor_client):
    viewer = sign_in(app.test_client(), "viewer", "看客")
    assert viewer.get("/ingest").status_code == 403
    token = token_of(send(editor_client, pasted=SHORT, title="方案"))
    review(editor_client, token)
    csrf = csrf_of(viewer, "/")
    r = viewer.post("/ingest", data={"csrf_token": csrf, "pasted": SHORT}, content_type="multipart/form-data")
    assert r.status_code == 403
    r = viewer.post(f"/ingest/{token}/review", data={"csrf_token": csrf, "bulk": "accept:all", "apply": "1",
                                                     "why": "越权"})
    assert r.status_code == 403
    anonymous = app.test_client()
    assert anonymous.post(f"/ingest/{token}/review", data={"bulk": "accept:all"}).status_code in (302, 303, 400, 401)
    assert Tasks(Registry(store_holder(app).get())).list() == []
    assert 'id="nav-ingest"' not in viewer.get("/").get_data(as_text=True)
    assert 'id="nav-ingest"' in editor_client.get("/").get_data(as_text=True)
    token = token_of(send(editor_client, pasted=SHORT, title="方案"))
    other = sign_in(app.test_client(), "editor", "另一位编辑")
    assert other.get(f"/ingest/{token}").status_code == 404


def test_segments_when_the_extraction_proposes_them_are_reviewed_and_written(editor_client, app):
    """The extraction may add ``segments`` (h-ingestrecall): the review shows them with their parent, and
    accepting them writes the segments and their PART_OF relations."""
    import json

    token = token_of(send(editor_client, pasted="重点发展稀土永磁电机，包括伺服电机、直驱电机等产品。", title="电机"))
    review(editor_client, token)
    folder = Path(app.instance_path) / "ingest"
    proposals = json.loads((folder / f"{token}.proposals.json").read_text(encoding="utf-8"))
    proposals["segments"] = [
        {"name": "稀土永磁电机", "parent": None, "quote": "稀土永磁电机", "section": "开头", "span": [4, 10]},
        {"name": "伺服电机", "parent": "稀土永磁电机", "quote": "伺服电机", "section": "开头", "span": [13, 17]}]
    (folder / f"{token}.proposals.json").write_text(json.dumps(proposals, ensure_ascii=False), encoding="utf-8")
    _, html = review(editor_client, token)
    assert 'id="group-segments"' in html and "上级环节：稀土永磁电机" in html and "<mark>伺服电机</mark>" in html
    decide(editor_client, token, bulk="accept:segments")
    assert decide(editor_client, token, apply="1", why="电机环节").status_code == 303
    _, html = review(editor_client, token)
    assert 'id="ingest-done"' in html
    reg = Registry(store_holder(app).get())
    rows = reg.store.read("MATCH (a:Entity)-[:PART_OF]->(b:Entity) RETURN a.name AS a, b.name AS b")
    assert [(r["a"], r["b"]) for r in rows] == [("伺服电机", "稀土永磁电机")]


def test_the_review_speaks_english_when_asked(editor_client):
    token = token_of(send(editor_client, pasted=SHORT, title="方案"))
    review(editor_client, token)
    editor_client.get("/lang/en?next=/")
    _, html = review(editor_client, token)
    assert "Review the proposals" in html and "Accept all" in html and "Responsible units" in html
    assert "全部接受" not in html and "审阅建议" not in html
    assert "县工信局" in html   # the document's own words stay as written
