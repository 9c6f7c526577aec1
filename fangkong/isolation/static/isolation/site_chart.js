// The site's persons in rooms per day: the last 14 days as counted, the next 7 as planned releases leave them,
// against the beds. Data from the page's JSON (no inline script: the CSP forbids them).
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("occupancy-chart");
    if (!box || !window.echarts) { return; }
    var data = JSON.parse(document.getElementById("occupancy-data").textContent);
    var labels = JSON.parse(document.getElementById("occupancy-labels").textContent);
    var past = data.occupied.map(function (n, i) { return i <= data.today ? n : null; });
    var next = data.occupied.map(function (n, i) { return i > data.today ? n : null; });
    var chart = window.echarts.init(box);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 36, right: 12, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.days },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: labels.past, type: "bar", stack: "n", data: past, itemStyle: { color: "#333" } },
        { name: labels.next, type: "bar", stack: "n", data: next,
          itemStyle: { color: "#fff", borderColor: "#333", borderType: "dashed", borderWidth: 1 } },
        { name: labels.capacity, type: "line", step: "middle", symbol: "none",
          data: data.days.map(function () { return data.capacity; }), lineStyle: { type: "dotted", color: "#b00" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
