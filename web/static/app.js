/* 稀金图谱 — graph views. Data comes from <script type="application/json"> blocks; every text is
   put in with textContent / vis-network's plain-text titles, never as HTML. */
(function () {
  "use strict";

  function readJSON(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  // a catalogue message with {name} slots (the page renders them in its language; see graph_text in _macros.html)
  function fill(message, values) {
    return String(message).replace(/\{(\w+)\}/g, function (slot, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : slot;
    });
  }

  function urlFor(template, id) {
    return template.replace("__ID__", encodeURIComponent(id));
  }

  function showInfo(box, node, container, text) {
    while (box.firstChild) box.removeChild(box.firstChild);
    if (!node) return;
    var lines = String(node.title || node.label || "").split("\n");
    var strong = document.createElement("b");
    strong.textContent = lines[0];
    box.appendChild(strong);
    if (lines.length > 1) box.appendChild(document.createTextNode(" · " + lines.slice(1).join(" · ")));
    var url = null, linkText = null;
    if (node.kind === "segment" && node.segment) {
      url = urlFor(container.dataset.segmentUrl, node.segment); linkText = text.segment;
    } else if (["enterprise", "platform", "project", "target", "gov_unit", "document"].indexOf(node.kind) >= 0 ||
               (node.kind === "segment" && !node.segment)) {
      url = urlFor(container.dataset.entityUrl || "/entity/__ID__", node.id); linkText = text.open;
    }
    if (url) {
      var a = document.createElement("a");
      a.href = url; a.textContent = " " + linkText + " →"; a.className = "open-link";
      box.appendChild(a);
    }
  }

  function markDrawn(network, started) {
    network.once("afterDrawing", function () {
      window.__graphDrawnMs = Math.round(performance.now() - started);
      document.body.setAttribute("data-graph-ready", "1");
    });
  }

  // ---------------------------------------------------------------- an entity's neighbourhood
  function neighbourhood(container) {
    var data = readJSON("graph-data");
    var started = performance.now();
    var nodes = new vis.DataSet(data.nodes), edges = new vis.DataSet(data.edges);
    var options = {
      physics: data.physics ? {enabled: true, stabilization: {iterations: 120}, barnesHut: {springLength: 160}} : {enabled: false},
      layout: {improvedLayout: false},
      interaction: {hover: true, tooltipDelay: 150},
      edges: {smooth: false, font: {size: 10, align: "middle"}, arrows: {to: {enabled: true, scaleFactor: 0.5}}},
      nodes: {font: {face: "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif"}}
    };
    var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
    markDrawn(network, started);
    function settled() { document.body.setAttribute("data-graph-stable", "1"); }
    if (data.physics) {
      network.once("stabilizationIterationsDone", function () {
        network.setOptions({physics: false}); network.fit(); settled();
      });
    } else {
      network.once("afterDrawing", settled);
    }
    var info = document.getElementById("graph-info");
    var text = readJSON("graph-text");
    network.on("click", function (p) {
      showInfo(info, p.nodes.length ? nodes.get(p.nodes[0]) : null, container, text);
    });
    network.on("doubleClick", function (p) {
      if (p.nodes.length && p.nodes[0] !== data.centre) {
        window.location.href = urlFor(container.dataset.entityUrl || "/entity/__ID__", p.nodes[0]);
      }
    });
    window.__network = network;
  }

  // ---------------------------------------------------------------- the chain map
  function chain(container) {
    var view = readJSON("graph-data"), options = readJSON("graph-options"), text = readJSON("graph-text");
    var form = document.getElementById("graph-filters"), info = document.getElementById("graph-info");
    var stats = document.getElementById("graph-stats");
    var nodes = new vis.DataSet(), edges = new vis.DataSet();
    var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
    var state = view.filters;

    function load(v) {
      var started = performance.now();
      nodes.clear(); edges.clear();
      nodes.add(v.nodes); edges.add(v.edges);
      state = v.filters;
      markDrawn(network, started);
      network.fit();
      if (stats) stats.textContent = fill(v.stats.aggregated ? text.stats_merged : text.stats,
                                          {nodes: v.stats.nodes, edges: v.stats.edges, merged: v.stats.aggregated});
      window.__chainStats = v.stats;
    }

    function query(s) {
      var q = new URLSearchParams();
      q.set("rel", s.rel.join(","));
      q.set("kinds", s.kinds.join(","));
      q.set("locality", s.locality);
      q.set("per_segment", String(s.per_segment));
      if (s.expand.length) q.set("expand", s.expand.join(","));
      if (s.segment) q.set("segment", s.segment);
      if (s.max_nodes) q.set("max_nodes", String(s.max_nodes));
      return q;
    }

    function refetch(s) {
      if (stats) stats.textContent = text.loading;
      var q = query(s);
      fetch(container.dataset.api + "?" + q.toString(), {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (!body.ok) { if (stats) stats.textContent = fill(text.error, {error: body.error}); return; }
          load(body.data);
          if (container.dataset.page) history.replaceState(null, "", container.dataset.page + "?" + q.toString() + "#graph-title");
        })
        .catch(function (e) { if (stats) stats.textContent = fill(text.error, {error: e}); });
    }

    function fromForm() {
      if (!form) return Object.assign({}, state);
      var fd = new FormData(form);
      return {
        rel: fd.getAll("rel").filter(Boolean),
        kinds: fd.getAll("kinds").filter(Boolean),
        locality: fd.get("locality") || "all",
        per_segment: parseInt(fd.get("per_segment") || "24", 10),
        expand: state.expand || [],
        segment: state.segment,
        max_nodes: state.max_nodes
      };
    }

    if (form) {
      form.addEventListener("submit", function (ev) { ev.preventDefault(); refetch(fromForm()); });
      form.addEventListener("change", function () { refetch(fromForm()); });
    }

    network.on("click", function (p) {
      if (!p.nodes.length) { showInfo(info, null, container, text); return; }
      var n = nodes.get(p.nodes[0]);
      if (n.kind === "aggregate") {
        var s = fromForm();
        s.expand = (state.expand || []).concat([n.segment]);
        refetch(s);
        return;
      }
      showInfo(info, n, container, text);
    });
    network.on("doubleClick", function (p) {
      if (!p.nodes.length) return;
      var n = nodes.get(p.nodes[0]);
      if (n.kind === "segment") window.location.href = urlFor(container.dataset.segmentUrl, n.segment);
      else if (["enterprise", "platform", "project"].indexOf(n.kind) >= 0) window.location.href = urlFor(container.dataset.entityUrl, n.id);
    });
    load(view);
    window.__network = network;
  }

  function start() {
    var container = document.getElementById("graph");
    if (!container || typeof vis === "undefined") return;
    if (container.dataset.kind === "chain") chain(container);
    else neighbourhood(container);
  }

  // printing a dossier: a button instead of an inline handler (the pages allow no inline script)
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t && t.getAttribute && t.getAttribute("data-action") === "print") { ev.preventDefault(); window.print(); }
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
