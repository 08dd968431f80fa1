"""Row builders for the tiny graphs the analysis tests write inline."""


def ent(i, kind="enterprise", **kw):
    """An entity row: ``ent("m1", name="金属厂", locality="cluster")``; the name defaults to the id."""
    return {"id": i, "kind": kind, "name": kw.pop("name", i), **kw}


def rel(t, s, d, **kw):
    """A relation row: ``rel("SUPPLIES", "a", "b", product="钕铁硼")``."""
    return {"type": t, "source": s, "target": d, **kw}
