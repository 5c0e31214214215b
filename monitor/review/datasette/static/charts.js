/* News monitor dashboard: bar charts drawn as inline SVG, no library, no CDN. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#718096"];
  var W = 760, H = 260, M = { top: 12, right: 12, bottom: 46, left: 44 };

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = String(text); }
    return node;
  }

  function niceStep(rough) {
    var power = Math.pow(10, Math.floor(Math.log10(Math.max(rough, 1))));
    var steps = [1, 2, 5, 10].map(function (m) { return m * power; });
    return steps.filter(function (st) { return st >= rough; })[0];
  }

  function draw(container, chart) {
    var names = Object.keys(chart.series || {});
    var labels = chart.labels || [];
    if (!labels.length || !names.length) {
      container.appendChild(Object.assign(document.createElement("p"),
        { className: "mon-empty", textContent: "No data yet." }));
      return;
    }
    var totals = labels.map(function (_, i) {
      return names.reduce(function (sum, n) { return sum + (chart.series[n][i] || 0); }, 0);
    });
    var step = niceStep(Math.max.apply(null, totals) / 4);
    var top = Math.max(step, Math.ceil(Math.max.apply(null, totals) / step) * step);
    var plotW = W - M.left - M.right, plotH = H - M.top - M.bottom;
    var band = plotW / labels.length, barW = Math.min(48, Math.max(1, band * 0.8));
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", width: W, height: H });
    for (var tick = 0; tick <= top; tick += step) {
      var y = M.top + plotH * (1 - tick / top);
      svg.appendChild(el("line", { x1: M.left, x2: W - M.right, y1: y, y2: y, stroke: "#e2e8f0" }));
      svg.appendChild(el("text", { x: M.left - 6, y: y + 4, "text-anchor": "end" }, tick));
    }
    var every = Math.ceil(labels.length / 8);
    labels.forEach(function (label, i) {
      var x = M.left + band * i + (band - barW) / 2, base = M.top + plotH;
      names.forEach(function (name, k) {
        var value = chart.series[name][i] || 0;
        if (!value) { return; }
        var h = plotH * value / top;
        base -= h;
        var rect = el("rect", { x: x, y: base, width: barW, height: h,
          fill: COLORS[k % COLORS.length], "class": "mon-bar" });
        rect.appendChild(el("title", {}, label + " · " + name + ": " + value));
        svg.appendChild(rect);
      });
      if (i % every === 0) {
        svg.appendChild(el("text", { x: x + barW / 2, y: H - M.bottom + 16,
          "text-anchor": "middle" }, label));
      }
    });
    container.appendChild(svg);
    if (names.length > 1 || names[0] !== "children") {
      var legend = document.createElement("div");
      legend.className = "mon-legend";
      names.forEach(function (name, k) {
        var item = document.createElement("span");
        var swatch = document.createElement("i");
        swatch.style.background = COLORS[k % COLORS.length];
        item.appendChild(swatch);
        item.appendChild(document.createTextNode(name));
        legend.appendChild(item);
      });
      container.appendChild(legend);
    }
  }

  function start() {
    var source = document.getElementById("monitor-dashboard-data");
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    document.querySelectorAll(".mon-chart[data-series]").forEach(function (container) {
      draw(container, data[container.getAttribute("data-series")] || {});
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
