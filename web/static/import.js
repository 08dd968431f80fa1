/* 稀金图谱 — an import's progress: poll the job's status and reload the page once it has finished.
   Served as a file (the CSP allows no inline script). The page names the status URL in data-status-url. */
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("progress-bar");
  var label = document.getElementById("progress-text");
  var failures = 0;

  function show(s) {
    if (s.total > 0) {
      bar.max = s.total;
      bar.value = s.done;
      label.textContent = (s.stage_text || s.stage || "") + " " + s.done + " / " + s.total +
        " (" + Math.floor(100 * s.done / s.total) + "%) · " + s.seconds + " s";
    } else {
      bar.removeAttribute("value");  /* indeterminate while the file is read */
      label.textContent = (s.stage_text || s.stage || "") + " · " + (s.seconds || 0) + " s";
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        failures = 0;
        if (s.status === "running") { show(s); window.setTimeout(poll, 700); }
        else { window.location.reload(); }
      })
      .catch(function () {
        failures += 1;
        window.setTimeout(poll, Math.min(10000, 1000 * failures));
      });
  }
  window.setTimeout(poll, 300);
})();
