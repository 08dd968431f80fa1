/* 稀金图谱 — graph views. Data comes from <script type="application/json"> blocks; every text is
   put in with textContent / vis-network's plain-text titles, never as HTML. */
(function () {
  "use strict";

  var MIN_LABEL_PX = 12;  // no label on a map opens smaller than this (web.chainmap.MIN_LABEL_PX)

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
  // after the layout settles, push apart nodes whose label boxes overlap, away from the centre record
  function spreadLabels(network, nodes, centre) {
    var ids = nodes.getIds(), pos = network.getPositions(ids), box = {}, gap = 6;
    ids.forEach(function (id) {
      var bb = network.getBoundingBox(id), p = pos[id];
      if (bb) box[id] = {l: bb.left - p.x, r: bb.right - p.x, t: bb.top - p.y, b: bb.bottom - p.y};
    });
    var c = {x: (pos[centre] || {x: 0}).x, y: (pos[centre] || {y: 0}).y};
    for (var round = 0; round < 80; round++) {
      var moved = false;
      for (var i = 0; i < ids.length; i++) {
        for (var j = i + 1; j < ids.length; j++) {
          var a = ids[i], b = ids[j], A = box[a], B = box[b];
          if (!A || !B) continue;
          var pa = pos[a], pb = pos[b];
          var ox = Math.min(pa.x + A.r, pb.x + B.r) - Math.max(pa.x + A.l, pb.x + B.l) + gap;
          var oy = Math.min(pa.y + A.b, pb.y + B.b) - Math.max(pa.y + A.t, pb.y + B.t) + gap;
          if (ox <= 0 || oy <= 0) continue;
          // move the one farther from the centre (never the centre), outwards, by the smaller overlap
          var da = Math.hypot(pa.x - c.x, pa.y - c.y), db = Math.hypot(pb.x - c.x, pb.y - c.y);
          var m = (a === centre) ? b : (b === centre) ? a : (db >= da ? b : a), pm = pos[m];
          var other = m === a ? pb : pa;
          if (ox < oy) pm.x += (pm.x >= other.x ? 1 : -1) * ox;
          else pm.y += (pm.y >= other.y ? 1 : -1) * oy;
          moved = true;
        }
      }
      if (!moved) break;
    }
    ids.forEach(function (id) { network.moveNode(id, pos[id].x, pos[id].y); });
    // as on the chain map, labels open at 12 px or more: the frame grows (up to 900 px) to hold the picture
    var minScale = MIN_LABEL_PX / 14 * 1.001, top = Infinity, bottom = -Infinity, left = Infinity, right = -Infinity;
    ids.forEach(function (id) {
      var B = box[id], p = pos[id];
      if (!B) return;
      top = Math.min(top, p.y + B.t); bottom = Math.max(bottom, p.y + B.b);
      left = Math.min(left, p.x + B.l); right = Math.max(right, p.x + B.r);
    });
    var frame = network.canvas.frame.canvas, want = Math.ceil((bottom - top) * minScale + 40);
    if (isFinite(want) && want > frame.clientHeight) {
      network.body.container.style.height = Math.min(want, 900) + "px";  // CSSOM, which the CSP allows
      network.setSize("100%", "100%");
    }
    network.fit({animation: false});
    if (network.getScale() < minScale) {
      network.moveTo({position: {x: (left + right) / 2, y: (top + bottom) / 2}, scale: minScale, animation: false});
    }
  }

  function neighbourhood(container) {
    var data = readJSON("graph-data");
    var started = performance.now();
    var nodes = new vis.DataSet(data.nodes), edges = new vis.DataSet(data.edges);
    var options = {
      physics: data.physics ? {enabled: true, stabilization: {iterations: 120}, barnesHut: {springLength: 160}} : {enabled: false},
      layout: {improvedLayout: false},
      interaction: {hover: true, tooltipDelay: 150},
      edges: {smooth: false, font: {size: 12, align: "middle"}, arrows: {to: {enabled: true, scaleFactor: 0.5}}},
      nodes: {font: {face: "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif"}}
    };
    var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
    markDrawn(network, started);
    function settled() { document.body.setAttribute("data-graph-stable", "1"); }
    if (data.physics) {
      network.once("stabilizationIterationsDone", function () {
        network.setOptions({physics: false});
        spreadLabels(network, nodes, data.centre); settled();
      });
    } else {
      network.once("afterDrawing", function () { spreadLabels(network, nodes, data.centre); settled(); });
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

  function hideTooltip(network, container) {
    // a node that goes away under the pointer (an expanded aggregate) leaves vis-network's tooltip up
    var ih = network.interactionHandler;
    if (ih && ih.popup) ih.popup.hide();
    var tips = container.querySelectorAll(".vis-tooltip");
    for (var i = 0; i < tips.length; i++) tips[i].style.visibility = "hidden";
  }

  // the default zoom: everything if that keeps labels at MIN_LABEL_PX or more, else that size from the top left
  function openView(network, nodes, fontSize) {
    network.fit({animation: false});
    var minScale = MIN_LABEL_PX / fontSize * 1.001;  // a hair above, so rounding never lands under it
    if (network.getScale() >= minScale) return;
    var all = nodes.get(), minX = Infinity, minY = Infinity;
    for (var i = 0; i < all.length; i++) {
      var bb = network.getBoundingBox(all[i].id);
      if (bb) { minX = Math.min(minX, bb.left); minY = Math.min(minY, bb.top); }
    }
    var canvas = network.canvas.frame.canvas;
    var w = canvas.clientWidth, h = canvas.clientHeight, pad = 12 / minScale;
    network.moveTo({position: {x: minX - pad + w / (2 * minScale), y: minY - pad + h / (2 * minScale)},
                    scale: minScale, animation: false});
  }

  function drawLegendPNG(ctx, legend, x, y, width, ratio) {
    var groups = ["locality", "kinds", "coverage", "relations"], line = 22 * ratio;
    ctx.font = (13 * ratio) + "px 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";
    ctx.textBaseline = "middle";
    for (var g = 0; g < groups.length; g++) {
      var grp = legend[groups[g]];
      if (!grp) continue;
      var cx = x;
      ctx.fillStyle = "#1f2a33";
      ctx.fillText(grp.title, cx, y);
      cx += ctx.measureText(grp.title).width + 8 * ratio;
      for (var i = 0; i < grp.items.length; i++) {
        var it = grp.items[i], sw = 12 * ratio, wText = ctx.measureText(it.label).width;
        if (cx + sw + wText + 24 * ratio > x + width) { y += line; cx = x + 16 * ratio; }
        ctx.fillStyle = it.colour;
        ctx.strokeStyle = it.line || "rgba(0,0,0,.25)";
        if (groups[g] === "relations") {
          ctx.fillRect(cx, y - 2 * ratio, sw * 1.6, 4 * ratio); cx += sw * 1.6 + 4 * ratio;
        } else {
          ctx.beginPath();
          if (it.shape === "dot" || groups[g] === "locality") ctx.arc(cx + sw / 2, y, sw / 2, 0, 2 * Math.PI);
          else if (it.shape === "diamond") { ctx.moveTo(cx + sw / 2, y - sw / 2); ctx.lineTo(cx + sw, y); ctx.lineTo(cx + sw / 2, y + sw / 2); ctx.lineTo(cx, y); ctx.closePath(); }
          else ctx.rect(cx, y - sw / 2, sw, sw);
          ctx.fill(); ctx.stroke();
          cx += sw + 4 * ratio;
        }
        ctx.fillStyle = "#37474f";
        ctx.fillText(it.label, cx, y);
        cx += wText + 14 * ratio;
      }
      y += line;
    }
    return y;
  }

  // the current view as a PNG: the drawn canvas with a title and the legend under it
  function exportPNG(container, filename, title) {
    var src = container.querySelector("canvas");
    var legend = readJSON("chain-legend-data") || {};
    var ratio = src.width / Math.max(1, src.clientWidth);
    var out = document.createElement("canvas");
    out.width = src.width;
    var legendHeight = 4 * 22 * ratio * 2 + 20 * ratio;
    out.height = src.height + 40 * ratio + legendHeight;
    var ctx = out.getContext("2d");
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = "#1f2a33"; ctx.font = "bold " + (16 * ratio) + "px 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";
    ctx.textBaseline = "middle";
    ctx.fillText(title, 12 * ratio, 20 * ratio);
    ctx.drawImage(src, 0, 40 * ratio);
    var end = drawLegendPNG(ctx, legend, 12 * ratio, src.height + 40 * ratio + 16 * ratio, out.width - 24 * ratio, ratio);
    var final = out;
    if (end + 8 * ratio < out.height) {  // trim the unused part of the legend area
      final = document.createElement("canvas");
      final.width = out.width; final.height = Math.ceil(end + 8 * ratio);
      final.getContext("2d").drawImage(out, 0, 0);
    }
    final.toBlob(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob); a.download = filename;
      document.body.appendChild(a); a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      window.__pngExported = blob.size;
    }, "image/png");
  }

  function chain(container) {
    var view = readJSON("graph-data"), options = readJSON("graph-options"), text = readJSON("graph-text");
    var ctext = readJSON("chain-text") || {};
    var form = document.getElementById("graph-filters"), info = document.getElementById("graph-info");
    var stats = document.getElementById("graph-stats");
    var nodes = new vis.DataSet(), edges = new vis.DataSet();
    var network = new vis.Network(container, {nodes: nodes, edges: edges}, options);
    var fontSize = (options.nodes && options.nodes.font && options.nodes.font.size) || 14;
    var state = view.filters, first = true;

    function load(v, keepView) {
      var started = performance.now();
      var pos = network.getViewPosition(), scale = network.getScale();
      hideTooltip(network, container);
      revealed = [];
      nodes.clear(); edges.clear();
      nodes.add(v.nodes); edges.add(v.edges);
      state = v.filters;
      markDrawn(network, started);
      if (keepView && !first) network.moveTo({position: pos, scale: scale, animation: false});
      else openView(network, nodes, fontSize);
      first = false;
      hideTooltip(network, container);
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
      if (s.more && s.more.length) q.set("more", s.more.join(","));
      if (s.segment) q.set("segment", s.segment);
      if (s.max_nodes) q.set("max_nodes", String(s.max_nodes));
      return q;
    }

    function refetch(s, keepView, then) {
      if (stats) stats.textContent = text.loading;
      var q = query(s);
      fetch(container.dataset.api + "?" + q.toString(), {headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (!body.ok) { if (stats) stats.textContent = fill(text.error, {error: body.error}); return; }
          load(body.data, keepView);
          if (container.dataset.page) history.replaceState(null, "", container.dataset.page + "?" + q.toString() + "#graph-title");
          exportLink(q);
          if (then) then();
        })
        .catch(function (e) { if (stats) stats.textContent = fill(text.error, {error: e}); });
    }

    // the offline file is the view on screen: its link carries the view's filters and expanded segments
    var offline = document.getElementById("export-chain");
    var offlineBase = offline ? offline.getAttribute("href").split("?")[0] : null;
    function exportLink(q) { if (offline) offline.setAttribute("href", offlineBase + "?" + q.toString()); }

    function fromForm() {
      if (!form) return Object.assign({}, state);
      var fd = new FormData(form);
      return {
        rel: fd.getAll("rel").filter(Boolean),
        kinds: fd.getAll("kinds").filter(Boolean),
        locality: fd.get("locality") || "all",
        per_segment: parseInt(fd.get("per_segment") || "0", 10),
        expand: (state.expand || []).slice(),
        more: (state.more || []).slice(),
        segment: state.segment,
        max_nodes: state.max_nodes
      };
    }

    if (form) {
      form.addEventListener("submit", function (ev) { ev.preventDefault(); refetch(fromForm(), true); });
      form.addEventListener("change", function () { refetch(fromForm(), true); });
    }

    function setExpanded(segment, on, then) {
      var s = fromForm(), i = s.expand.indexOf(segment);
      if (on && i < 0) s.expand.push(segment);
      else if (!on && i >= 0) { s.expand.splice(i, 1); s.more = s.more.filter(function (x) { return x !== segment; }); }
      else { if (then) then(); return; }
      refetch(s, true, then);
    }

    // an expanded segment's "more" node: all its members (up to the server's cap)
    function showMore(segment) {
      var s = fromForm();
      if (s.expand.indexOf(segment) < 0) s.expand.push(segment);
      else if (s.more.indexOf(segment) < 0) s.more.push(segment);
      refetch(s, true);
    }

    function focusNode(id) {
      if (!nodes.get(id)) return false;
      network.focus(id, {scale: Math.max(network.getScale(), 1), animation: false});
      network.selectNodes([id]);
      reveal(id);
      showInfo(info, nodes.get(id), container, text);
      window.__chainFocused = id;
      return true;
    }

    // focus a search hit: a firm is drawn in its segment, which is expanded first
    function focusHit(hit) {
      if (focusNode(hit.node)) return;
      var seg = hit.segment || "__unassigned__";
      setExpanded(seg, true, function () {
        if (focusNode(hit.node)) return;
        var s = fromForm();  // past the segment's first members: show them all
        if (s.more.indexOf(seg) < 0) s.more.push(seg);
        refetch(s, true, function () { focusNode(hit.node); });
      });
    }

    var search = document.getElementById("map-search"), hitsBox = document.getElementById("map-hits");
    if (search && container.dataset.find) {
      search.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var q = (new FormData(search).get("q") || "").trim();
        while (hitsBox.firstChild) hitsBox.removeChild(hitsBox.firstChild);
        if (!q) return;
        fetch(container.dataset.find + "?q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}})
          .then(function (r) { return r.json(); })
          .then(function (body) {
            if (!body.ok) { hitsBox.textContent = fill(text.error, {error: body.error}); return; }
            var hits = body.data.hits;
            if (!hits.length) { hitsBox.textContent = fill(ctext.none, {q: q}); return; }
            var lead = document.createElement("span");
            lead.className = "muted"; lead.textContent = fill(ctext.hits, {n: hits.length});
            hitsBox.appendChild(lead);
            hits.forEach(function (h) {
              var b = document.createElement("button");
              b.type = "button"; b.className = "btn small"; b.dataset.node = h.node;
              b.textContent = h.name + " · " + h.kind_label + (h.kind !== "segment" && !h.segment ? ctext.unplaced : "");
              b.addEventListener("click", function () { focusHit(h); });
              hitsBox.appendChild(b);
            });
            focusHit(hits[0]);
          })
          .catch(function (e) { hitsBox.textContent = fill(text.error, {error: e}); });
      });
    }

    var png = document.getElementById("export-png");
    if (png) png.addEventListener("click", function () {
      exportPNG(container, png.dataset.filename || "chain-map.png", ctext.png_title || "");
    });

    // lines from a shown firm to a folded segment's box appear while that firm (or box) is picked
    var revealed = [];
    function reveal(id) {
      var back = revealed.map(function (e) { return {id: e, hidden: true}; });
      revealed = id ? network.getConnectedEdges(id).filter(function (e) { var x = edges.get(e); return x && x.folded; }) : [];
      edges.update(back.concat(revealed.map(function (e) { return {id: e, hidden: false}; })));
    }

    network.on("click", function (p) {
      reveal(p.nodes.length ? p.nodes[0] : null);
      if (!p.nodes.length) { showInfo(info, null, container, text); return; }
      var n = nodes.get(p.nodes[0]);
      if (n.kind === "aggregate") { showMore(n.segment); return; }
      showInfo(info, n, container, text);
      if (n.kind === "segment" && n.segment && !state.segment) setExpanded(n.segment, !n.expanded);
    });
    network.on("doubleClick", function (p) {
      if (!p.nodes.length) return;
      var n = nodes.get(p.nodes[0]);
      if (n.kind === "segment") window.location.href = urlFor(container.dataset.segmentUrl, n.segment);
      else if (["enterprise", "platform", "project"].indexOf(n.kind) >= 0) window.location.href = urlFor(container.dataset.entityUrl, n.id);
    });
    load(view);
    exportLink(query(state));
    window.__network = network;
    window.__chainNodes = nodes;
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
