"""`xijin todo`: the data to-do list as text grouped by code with counts, and as JSON items (issue 10)."""

from __future__ import annotations

import json

from xijin.cli import cli

THREE = ("中科三环", "粤磁科技", "汉驱智能")
SCALE = "tgt-2026-above-scale-enterprises"


def test_text_is_grouped_by_code_with_counts(runner, seeded_instance):
    r = runner.invoke(cli, ["todo", "--instance", seeded_instance])
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert out.startswith("稀金图谱 · 待补数据清单\n")
    items = json.loads(runner.invoke(cli, ["todo", "--json", "--instance", seeded_instance]).stdout)
    n_seg = sum(1 for x in items if x["code"] == "segment_missing")
    n_local = sum(1 for x in items if x["code"] == "segment_missing" and x["local"])
    assert f"企业缺所属环节：{n_seg} 项（集群内 {n_local}）" in out
    assert f"共 {len(items)} 项，涉及 {len({x['id'] for x in items})} 条记录。" in out
    block = out[out.index("企业缺所属环节"):out.index("企业未写明是否在集群内")]
    for name in THREE:
        assert f"{name} (集群内)" in block
    assert "/entity/ent-zhongke-sanhuan/edit#relation-add" in block
    # local firms first
    assert block.index("汉驱智能") < block.index("(所在地未说明)")
    tgt = out[out.index("无法测算的目标："):out.index("没有任何企业的环节")]
    assert "（集群内" not in tgt.splitlines()[0]  # targets have no locality: no local count
    assert "到2026年集群规模以上企业达50家" in tgt and "/import?kind=enterprise" in tgt
    assert "· 目标「到2026年集群规模以上企业达50家」：登记册中没有任何企业标注“规上”" in tgt
    assert "……另有" in out  # long groups are cut at 20 lines
    assert "……另有" not in runner.invoke(cli, ["todo", "--limit", "0", "--instance", seeded_instance]).stdout


def test_english_text(runner, seeded_instance):
    out = runner.invoke(cli, ["todo", "--lang", "en", "--instance", seeded_instance]).stdout
    assert out.startswith("Xijin Atlas - data to-do list\n")
    assert "Firms without a segment: " in out and "Targets that cannot be measured: " in out


def test_json_prints_the_items(runner, seeded_instance):
    r = runner.invoke(cli, ["todo", "--json", "--instance", seeded_instance])
    assert r.exit_code == 0
    items = json.loads(r.stdout)
    seg = [x for x in items if x["code"] == "segment_missing"]
    assert {x["name"] for x in seg if x["local"]} >= set(THREE)
    assert seg[0]["local"] and all(x["local"] for x in seg[: sum(1 for y in seg if y["local"])])
    z = next(x for x in seg if x["id"] == "ent-zhongke-sanhuan")
    assert z["fix"] == {"action": "edit", "id": "ent-zhongke-sanhuan", "kind": "enterprise", "field": "segment"}
    assert z["fix_path"] == "/entity/ent-zhongke-sanhuan/edit#relation-add"
    assert z["reason_zh"].startswith("中科三环（集群内）未登记所属产业链环节") and "has no chain segment" in z["reason_en"]
    scale = next(x for x in items if x["id"] == SCALE)
    assert scale["code"] == "target_unmeasurable" and scale["needs"]["values"] == ["above_scale"]
    assert {x["code"] for x in items} == {"segment_missing", "locality_missing", "target_unmeasurable",
                                         "segment_empty", "credit_code_missing", "location_missing",
                                         "relation_implied"}


def test_the_gap_report_shows_unmeasurable_targets(runner, seeded_instance):
    out = runner.invoke(cli, ["gaps", "--instance", seeded_instance]).stdout
    line = next(x for x in out.splitlines() if "到2026年集群规模以上企业达50家" in x)
    assert "无法测算" in line and "未达到" not in line
    assert "“无法测算”的目标缺什么数据、在哪里补：见 `xijin todo` 或网页“待补数据”。" in out
    report = json.loads(runner.invoke(cli, ["gaps", "--json", "--instance", seeded_instance]).stdout)
    row = next(x for x in report["target_progress"] if x["id"] == SCALE)
    assert (row["status"], row["current"], row["needs"]["values"]) == ("unmeasurable", None, ["above_scale"])


def test_empty_registry(runner, instance):
    r = runner.invoke(cli, ["todo", "--instance", str(instance)])
    assert r.exit_code == 0 and "没有待补数据。" in r.stdout
    assert json.loads(runner.invoke(cli, ["todo", "--json", "--instance", str(instance)]).stdout) == []
