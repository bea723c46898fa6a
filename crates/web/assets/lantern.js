// Lantern's progressive enhancements. Every page works without this file; with it:
// - forms marked data-upload-progress show a progress bar while their file uploads, then show the server's answer.
// - lesson editors show a live preview of the lesson (below).

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
