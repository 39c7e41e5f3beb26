// Outcome charts (templates/patients/snippets/chart_outcomes.html): one line chart of totals over
// time per measure. The data comes from the page's <script type="application/json"> (Django's
// json_script), which the Content-Security-Policy allows because it is data, never run. The
// table beside the charts has every figure; this only draws them.
(function () {
  "use strict";
  var source = document.getElementById("outcomes-data");
  if (!source || !window.Chart) { return; }
  var data = JSON.parse(source.textContent);
  var DAY = 24 * 60 * 60 * 1000;
  var LINE = "#0d6efd";
  var GUIDE = "rgba(108, 117, 125, 0.75)";
  var MARKER = "rgba(25, 135, 84, 0.8)";
  // Dates in the clinic's zone, as the tables show them, whatever the browser's zone.
  var day = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: data.timeZone });

  // Band names inside the plot, just above each band's lower edge (the grid lines are the band
  // edges, see afterBuildTicks), and the markers (dosing days) as dashed vertical lines.
  var guides = {
    id: "kapOutcomeGuides",
    beforeDatasetsDraw: function (chart, args, options) {
      var ctx = chart.ctx, area = chart.chartArea, x = chart.scales.x, y = chart.scales.y;
      ctx.save();
      ctx.font = "11px system-ui, sans-serif";
      ctx.textBaseline = "bottom";
      ctx.fillStyle = GUIDE;
      options.bands.forEach(function (band) {
        var top = y.getPixelForValue(band.high + 1 > options.max ? options.max : band.high + 1);
        var bottom = y.getPixelForValue(band.low);
        if (bottom - top >= 12) { ctx.fillText(band.label, area.left + 4, bottom - 1); }
      });
      ctx.strokeStyle = MARKER;
      ctx.fillStyle = MARKER;
      ctx.setLineDash([4, 3]);
      ctx.textBaseline = "top";
      var lastLabel = [-Infinity, -Infinity];
      options.markers.forEach(function (marker) {
        if (marker.x < x.min || marker.x > x.max) { return; }
        var px = x.getPixelForValue(marker.x);
        ctx.beginPath();
        ctx.moveTo(px, area.top);
        ctx.lineTo(px, area.bottom);
        ctx.stroke();
        // The label right of its line, or left of it at the right edge, on the first of two
        // rows where it does not run into the previous label; left out when both are taken
        // (daily sessions sit close together; the list above the charts names them all).
        var width = ctx.measureText(marker.label).width;
        var left = px + 2 + width <= area.right ? px + 2 : px - 2 - width;
        for (var row = 0; row < lastLabel.length; row++) {
          if (left - lastLabel[row] > 4 && left >= area.left) {
            ctx.fillText(marker.label, left, area.top + 2 + row * 13);
            lastLabel[row] = left + width;
            break;
          }
        }
      });
      ctx.restore();
    }
  };

  data.charts.forEach(function (series) {
    var canvas = document.querySelector('canvas[data-outcome-chart="' + series.code + '"]');
    if (!canvas) { return; }
    var xs = series.points.map(function (p) { return p.x; });
    var first = Math.min.apply(null, xs);
    // Doses after the last result still show: a course under way is what the reader wants.
    var last = Math.max.apply(null, xs.concat(
      data.markers.map(function (m) { return m.x; }).filter(function (x) { return x >= first; })
    ));
    var pad = Math.max((last - first) * 0.04, DAY / 2);
    var edges = series.bands.map(function (b) { return b.low; }).concat([series.max]);

    new window.Chart(canvas, {
      type: "line",
      data: {
        datasets: [{
          label: series.name,
          data: series.points,
          borderColor: LINE,
          backgroundColor: LINE,
          pointRadius: series.points.map(function (p) { return p.baseline || p.patient ? 6 : 3; }),
          // Baseline a diamond; a result the patient reported by link a triangle (issue 14).
          pointStyle: series.points.map(function (p) {
            return p.baseline ? "rectRot" : p.patient ? "triangle" : "circle";
          }),
          tension: 0
        }]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        parsing: { xAxisKey: "x", yAxisKey: "y" },
        scales: {
          x: {
            type: "linear",
            min: first - pad,
            max: last + pad,
            ticks: { maxTicksLimit: 5, callback: function (value) { return day.format(new Date(value)); } },
            grid: { display: false }
          },
          y: {
            min: 0,
            max: series.max,
            title: { display: true, text: "Total (0–" + series.max + ")" },
            // One tick, and one grid line, at each band's lower edge: the lines are the bands.
            afterBuildTicks: function (scale) {
              scale.ticks = edges.map(function (value) { return { value: value }; });
            }
          }
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              title: function () { return ""; },
              label: function (item) { return item.raw.label; }
            }
          },
          kapOutcomeGuides: { bands: series.bands, markers: data.markers, max: series.max }
        }
      },
      plugins: [guides]
    });
  });
})();
