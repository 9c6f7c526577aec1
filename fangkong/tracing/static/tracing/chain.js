// The trace's chain as an ECharts force graph; data from the page's data-url (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("chain");
  if (!box || !window.echarts) return;
  fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (data) {
    var chart = window.echarts.init(box);
    chart.setOption({
      legend: [{data: data.categories.map(function (c) { return c.name; })}],
      tooltip: {},
      series: [{
        type: "graph", layout: "force", roam: true, draggable: true, force: {repulsion: 220, edgeLength: 90},
        categories: data.categories, data: data.nodes,
        label: {show: true, position: "right"},
        edgeLabel: {show: true, formatter: function (p) { return p.data.label; }, fontSize: 11},
        links: data.links
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
    box.dataset.ready = String(data.nodes.length);
  });
});
