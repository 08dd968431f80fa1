/* The offline chain map file: draws the graph from the JSON block beside it. No network access. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var container = document.getElementById("graph");
  var nodes = new vis.DataSet(data.nodes), edges = new vis.DataSet(data.edges);
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, data.options);
  var info = document.getElementById("graph-info");
  network.once("afterDrawing", function () { document.body.setAttribute("data-graph-ready", "1"); });
  // open at a zoom where labels are 12 px or more (as the app's map does), from the upstream end
  network.fit({animation: false});
  var font = (data.options.nodes && data.options.nodes.font && data.options.nodes.font.size) || 14, min = 12 / font * 1.001;
  if (data.nodes.length && network.getScale() < min) {
    var xs = data.nodes.map(function (n) { return n.x; }), ys = data.nodes.map(function (n) { return n.y; });
    var frame = container.querySelector("canvas");
    network.moveTo({position: {x: Math.min.apply(null, xs) - 80 + frame.clientWidth / (2 * min),
                               y: Math.min.apply(null, ys) - 40 + frame.clientHeight / (2 * min)}, scale: min, animation: false});
  }
  var revealed = [];  // lines to a folded segment's box show while one of their ends is picked
  network.on("click", function (p) {
    var back = revealed.map(function (e) { return {id: e, hidden: true}; });
    revealed = p.nodes.length ? network.getConnectedEdges(p.nodes[0]).filter(function (e) {
      var x = edges.get(e); return x && x.folded; }) : [];
    edges.update(back.concat(revealed.map(function (e) { return {id: e, hidden: false}; })));
    info.textContent = p.nodes.length ? String(nodes.get(p.nodes[0]).title || "").split("\n").join(" · ") : "";
  });
  window.__network = network;
})();
