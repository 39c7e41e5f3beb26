// Charts of the clinic outcomes report (sessions.records.outcomes_report.chart_data). The tables
// on the page carry every figure; the charts only draw them.
(function () {
  "use strict";
  const source = document.getElementById("report-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const rates = document.querySelector('[data-report-chart="rates"]');
  if (rates) {
    new Chart(rates, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: "Response %", data: data.response, backgroundColor: "#2c5d8a" },
          { label: "Remission %", data: data.remission, backgroundColor: "#6aa84f" },
        ],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { y: { min: 0, max: 100 } },
      },
    });
  }
  const events = document.querySelector('[data-report-chart="events"]');
  if (events) {
    new Chart(events, {
      type: "bar",
      data: {
        labels: data.events.labels,
        datasets: [{ label: "Adverse events", data: data.events.counts, backgroundColor: "#c0504d" }],
      },
      options: {
        animation: false,
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }
})();
