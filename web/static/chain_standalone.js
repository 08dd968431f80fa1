/* The offline chain map file: draws the graph from the JSON block beside it. No network access. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var container = document.getElementById("graph");
  var nodes = new vis.DataSet(data.nodes), edges = new vis.DataSet(data.edges);
  var network = new vis.Network(container, {nodes: nodes, edges: edges}, data.options);
  var info = document.getElementById("graph-info");
  network.once("afterDrawing", function () { document.body.setAttribute("data-graph-ready", "1"); });
  network.on("click", function (p) {
    info.textContent = p.nodes.length ? String(nodes.get(p.nodes[0]).title || "").split("\n").join(" · ") : "";
  });
  window.__network = network;
})();
