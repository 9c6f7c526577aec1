// Scans per hour of the day (stacked per site) and the estimated queue, from the page's JSON.
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("hourly-chart");
    var data = JSON.parse(document.getElementById("hourly-data").textContent);
    var labels = JSON.parse(document.getElementById("hourly-labels").textContent);
    if (!box || !window.echarts) { return; }
    var series = data.sites.map(function (s) {
      return { name: s.site + " · " + labels.count, type: "bar", stack: "count", data: s.counts };
    });
    data.sites.forEach(function (s) {
      series.push({ name: s.site + " · " + labels.queue, type: "line", yAxisIndex: 1, data: s.queue, smooth: true });
    });
    var chart = window.echarts.init(box);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 40, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.hours },
      yAxis: [{ type: "value", name: labels.count }, { type: "value", name: labels.queue }],
      series: series
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
