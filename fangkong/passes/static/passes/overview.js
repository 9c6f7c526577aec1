// The chart draws once ECharts has loaded (deferred); the table stays for printing and screen readers.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var box = document.getElementById("hours-chart");
  if (!window.echarts || !box) { return; }
  var data = JSON.parse(document.getElementById("hours-data").textContent);
  document.getElementById("hours-table").classList.add("visually-hidden");
  var chart = window.echarts.init(box, null, {renderer: "svg"});
  chart.setOption({
    grid: {left: 40, right: 10, top: 20, bottom: 30},
    tooltip: {trigger: "axis"},
    xAxis: {type: "category", data: data.hours},
    yAxis: {type: "value", minInterval: 1},
    series: [{type: "bar", name: box.getAttribute("data-series"), data: data.counts, itemStyle: {color: "#0b5cab"}}]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
