"""The projects-introduced target measured from signings (issue 13): once projects carry ``signed_on`` (a signed
lead registers it), this year's signings in the cluster are the measure; before that the target keeps saying it
cannot count projects per year."""

from datetime import datetime, timedelta, timezone

from graph import build_graph, target_progress
from graph_rows import ent
from registry.messages import render

YEAR = datetime.now(timezone(timedelta(hours=8))).year


def rows(*projects):
    return [ent("t-projects", "target", name="每年引进项目10个以上", metric="每年引进稀土新材料及应用项目数", value=10,
                unit="个", comparison="per_year"), *projects]


def progress(*projects):
    return next(r for r in target_progress(build_graph(rows(*projects), [])) if r["id"] == "t-projects")


def test_without_signing_dates_the_target_is_not_compared():
    r = progress(ent("p1", "project", name="老项目", locality="cluster"))
    assert (r["rule"], r["measurability"], r["status"], r["current"]) == ("projects", "partial", "unknown", 1)


def test_this_years_signings_in_the_cluster_are_counted_against_the_target():
    r = progress(ent("p1", "project", name="老项目", locality="cluster"),
                 ent("p2", "project", name="今年签约", locality="cluster", signed_on=f"{YEAR}-03-01"),
                 ent("p3", "project", name="去年签约", locality="cluster", signed_on=f"{YEAR - 1}-12-30"),
                 ent("p4", "project", name="外地项目", locality="china", signed_on=f"{YEAR}-05-01"),
                 ent("k", "project", name="园区", project_type="park", locality="cluster", signed_on=f"{YEAR}-01-01"))
    assert (r["rule"], r["measurability"], r["current"], r["status"], r["shortfall"]) == \
        ("projects_signed", "measured", 1, "behind", 9)
    assert [x["id"] for x in r["counted"]] == ["p2"]
    assert render(r["method"]) == f"统计签约日期在 {YEAR} 年的集群内项目（由招商线索签约时登记）"
    assert "signed in" in render(r["method"], "en")
