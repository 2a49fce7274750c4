// An import job's progress bar: polls the job's status until it is checked, done, refused or failed.
(function () {
  var box = document.getElementById('job');
  if (!box) { return; }
  var bar = document.getElementById('job-bar');
  var ended = ['checked', 'done', 'refused', 'failed'];
  function poll() {
    fetch(box.dataset.status, {credentials: 'same-origin'}).then(function (r) { return r.json(); }).then(function (s) {
      var pct = s.total ? Math.min(100, Math.round(100 * s.done / s.total)) : 0;
      if (['checked', 'done'].indexOf(s.state) >= 0) { pct = 100; }
      bar.style.width = pct + '%'; bar.textContent = pct + '% (' + s.done + ')';
      if (ended.indexOf(s.state) >= 0) { window.location.reload(); } else { setTimeout(poll, 1000); }
    });
  }
  if (box.dataset.finished !== 'true') { poll(); } else { bar.style.width = '100%'; bar.textContent = '100%'; }
})();
