// Lantern's progressive enhancements. Every page works without this file; with it:
// - forms marked data-upload-progress show a progress bar while their file uploads, then show the server's answer.
// - lesson editors show a live preview of the lesson (below).
// - the simulation player's clock ticks, its monitor follows the simulated minutes, and the clock pauses when the
//   page is hidden (a learner called away does not come back to a patient left for an hour); in a team run the
//   page follows the colleague's actions and clock instead, and the clock runs on.

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
const typing = () => {
  const active = document.activeElement;
  return active && (active.tagName === 'TEXTAREA' || (active.tagName === 'INPUT' && !active.readOnly));
};
// Takes the fresh page's monitor, alerts, timeline and team into this one. Not the alerts while the learner types
// (they may be typing in one): say that something needs them, and let them reload.
const takeFrom = (page) => {
  for (const id of ['sim-monitor', 'sim-alerts', 'sim-timeline', 'sim-team', 'sim-conversation']) {
    const fresh = page.getElementById(id);
    const here = document.getElementById(id);
    if (!fresh || !here || fresh.innerHTML === here.innerHTML) continue;
    if (id === 'sim-alerts' && typing()) {
      document.getElementById('sim-news').hidden = false;
      continue;
    }
    here.replaceWith(fresh);
  }
};
const fetchPage = async () => new DOMParser().parseFromString(await (await fetch(location.href)).text(), 'text/html');
if (simClock) {
  const at = Number(simClock.dataset.at);
  const speed = Number(simClock.dataset.speed);
  const limit = Number(simClock.dataset.limit);
  const team = 'simTeam' in simClock.dataset;
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
      takeFrom(await fetchPage());
      if (now() < limit) setTimeout(refresh, next());
      else location.reload();
    };
    setTimeout(refresh, next());
    // Alone, the clock pauses while the page is hidden; in a team it runs on for the colleague.
    document.addEventListener('visibilitychange', () => {
      const form = simClock.querySelector('form');
      if (document.hidden && form && !team) {
        const body = new URLSearchParams(new FormData(form));
        body.set('speed', 'pause');
        navigator.sendBeacon(form.action, new Blob([body.toString()], { type: 'application/x-www-form-urlencoded' }));
      } else if (!document.hidden) {
        location.reload();
      }
    });
  }
  // In a team run the colleague acts too: every few seconds, take in what they did without losing what is typed.
  // A change to the clock or to who is playing reloads the page (or, while typing, says so).
  if (team) {
    const follow = async () => {
      if (!document.hidden) {
        const page = await fetchPage();
        const fresh = page.querySelector('[data-sim-clock]');
        if (!fresh) {
          location.reload(); // the run has ended: the debrief
          return;
        }
        if (fresh.dataset.frame !== simClock.dataset.frame) {
          if (!typing()) {
            location.reload();
            return;
          }
          document.getElementById('sim-news').hidden = false;
        } else if (fresh.dataset.version !== simClock.dataset.version) {
          takeFrom(page);
          simClock.dataset.version = fresh.dataset.version;
          for (const seq of document.querySelectorAll('input[name="seq"]')) seq.value = fresh.dataset.version;
        }
      }
      setTimeout(follow, 3000);
    };
    setTimeout(follow, 3000);
  }
}
for (const input of document.querySelectorAll('[data-select-on-focus]')) {
  input.addEventListener('focus', () => input.select());
}

// - the heatmap (table[data-cell-base]): a click on a cell opens the people behind it: for the organisation's admins
//   and auditors on today's map (data-team), a cell with people overdue opens exactly them in the team view; else the
//   unit's page for that requirement. Cells are not links, so a trust's map is not thousands of tab stops; for the
//   keyboard, the unit's name is the row's link (its page has every requirement) with "Who is overdue" beside it.
for (const table of document.querySelectorAll('table[data-cell-base]')) {
  const heads = [...table.querySelectorAll('thead th')];
  table.addEventListener('click', (event) => {
    const cell = event.target.closest('td');
    const row = cell?.closest('tr[data-unit]');
    if (!cell || !row || event.target.closest('a')) return;
    const head = heads[cell.cellIndex]?.dataset;
    const unit = row.dataset.unit;
    let href = `${table.dataset.cellBase}${unit}?${table.dataset.cellQuery}`;
    if (table.dataset.team && head?.r && cell.querySelector('small')) {
      href = `/team?unit=${unit}&requirement=${encodeURIComponent(head.r)}&status=overdue`;
    } else if (head?.q) {
      href += `&${head.q}`;
    }
    window.location.assign(href);
  });
}
