// 日报: draws the per-community bar chart once ECharts has loaded; the table stays for printing and screen readers.
(function () {
  "use strict";
  function draw() {
    var box = document.getElementById("daily-chart");
    var source = document.getElementById("daily-chart-data");
    if (!window.echarts || !box || !source) { return; }
    var data = JSON.parse(source.textContent);
    if (!data.communities.length) { box.classList.add("dr-hidden"); return; }
    var colours = {new: "#0b5cab", active: "#5b6470", released: "#1e7b34", overdue: "#b42318"};
    var chart = echarts.init(box, null, {renderer: "svg"});
    chart.setOption({
      grid: {left: 40, right: 10, top: 40, bottom: 60},
      tooltip: {trigger: "axis"},
      legend: {top: 0},
      xAxis: {type: "category", data: data.communities, axisLabel: {interval: 0, rotate: data.communities.length > 4 ? 30 : 0}},
      yAxis: {type: "value", minInterval: 1},
      series: data.series.map(function (s) {
        return {type: "bar", name: s.name, data: s.data, itemStyle: {color: colours[s.key]}};
      })
    });
    box.setAttribute("data-drawn", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
