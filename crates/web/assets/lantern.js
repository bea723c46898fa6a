// Lantern's progressive enhancements. Every page works without this file; with it:
// - forms marked data-upload-progress show a progress bar while their file uploads, then show the server's answer.
// - lesson editors show a live preview of the lesson (below).
// - the simulation player's clock ticks, its monitor follows the simulated minutes, and the clock pauses when the
//   page is hidden (a learner called away does not come back to a patient left for an hour).

for (const form of document.querySelectorAll('form[data-upload-progress]')) {
  form.addEventListener('submit', (event) => {
    const bar = form.querySelector('progress');
    if (!bar || !window.XMLHttpRequest) return;
    event.preventDefault();
    const status = form.querySelector('[data-upload-status]');
    bar.hidden = false;
    const xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) {
        bar.max = e.total;
        bar.value = e.loaded;
        if (status) status.textContent = `Uploaded ${Math.round((100 * e.loaded) / e.total)}%`;
      }
    });
    xhr.upload.addEventListener('load', () => {
      bar.removeAttribute('value');
      if (status) status.textContent = 'Checking every row and writing...';
    });
    xhr.addEventListener('load', () => {
      // Show the server's page (the result, or the report of problems) as if the form had been posted normally.
      document.open();
      document.write(xhr.responseText);
      document.close();
      window.history.replaceState(null, '', form.action.split('?')[0]);
    });
    xhr.addEventListener('error', () => {
      if (status) status.textContent = 'The upload failed. Check your connection and try again.';
    });
    xhr.send(new FormData(form));
  });
}

// - lesson editors (textarea[data-lesson-preview]) show the lesson as a learner will see it while the author types:
//   the server renders it with the same renderer learners get, so the preview cannot differ or carry script.
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.content;
for (const area of document.querySelectorAll('textarea[data-lesson-preview]')) {
  const target = document.getElementById(area.dataset.previewTarget);
  if (!target || !csrfToken || !window.fetch) continue;
  target.parentElement.hidden = false;
  let timer;
  const update = async () => {
    const body = new URLSearchParams({ markdown: area.value, csrf_token: csrfToken });
    try {
      const res = await fetch(area.dataset.lessonPreview, { method: 'POST', body, credentials: 'same-origin' });
      if (res.ok) target.innerHTML = await res.text();
    } catch {
      // The preview is a convenience: "Preview" on the form shows the same thing.
    }
  };
  area.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  });
  update();
}

// The simulation player. The server keeps the clock; this only shows it moving between page loads.
const simClock = document.querySelector('[data-sim-clock]');
if (simClock) {
  const at = Number(simClock.dataset.at);
  const speed = Number(simClock.dataset.speed);
  const limit = Number(simClock.dataset.limit);
  const loaded = performance.now();
  const shown = simClock.querySelector('[data-sim-time]');
  const now = () => Math.min(limit, at + Math.floor(((performance.now() - loaded) / 1000) * speed));
  const mmss = (t) => `${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}`;
  if (speed > 0) {
    setInterval(() => { shown.textContent = mmss(now()); }, 250);
    // The monitor changes each simulated minute: fetch the page then and take its monitor and its alerts.
    const next = () => (60 - (now() % 60)) / speed * 1000 + 300;
    const refresh = async () => {
      if (document.hidden) return;
      const active = document.activeElement;
      const typing = active && (active.tagName === 'TEXTAREA' || active.tagName === 'INPUT');
      const page = new DOMParser().parseFromString(await (await fetch(location.href)).text(), 'text/html');
      for (const id of ['sim-monitor', 'sim-alerts']) {
        const fresh = page.getElementById(id);
        const here = document.getElementById(id);
        if (!fresh || !here) continue;
        if (id === 'sim-alerts' && fresh.innerHTML !== here.innerHTML && typing) {
          // Not while the learner types: say that something needs them, and let them reload.
          document.getElementById('sim-news').hidden = false;
          continue;
        }
        here.replaceWith(fresh);
      }
      if (now() < limit) setTimeout(refresh, next());
      else location.reload();
    };
    setTimeout(refresh, next());
    document.addEventListener('visibilitychange', () => {
      const form = simClock.querySelector('form');
      if (document.hidden && form) {
        const body = new URLSearchParams(new FormData(form));
        body.set('speed', 'pause');
        navigator.sendBeacon(form.action, new Blob([body.toString()], { type: 'application/x-www-form-urlencoded' }));
      } else if (!document.hidden) {
        location.reload();
      }
    });
  }
}
