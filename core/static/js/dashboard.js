// The dashboard's members-per-mode chart; its figures come in the canvas's data attributes
// (no inline script, so the Content-Security-Policy needs none).
(function () {
  var canvas = document.getElementById('mode-chart');
  if (!canvas || typeof Chart === 'undefined') { return; }
  new Chart(canvas, {
    type: 'bar',
    data: {labels: JSON.parse(canvas.dataset.labels), datasets: [{label: canvas.dataset.title,
      data: JSON.parse(canvas.dataset.values), backgroundColor: '#c0392b'}]},
    options: {plugins: {legend: {display: false}}, animation: false}
  });
})();
