// Lantern's progressive enhancements. Every page works without this file; with it:
// - forms marked data-upload-progress show a progress bar while their file uploads, then show the server's answer.

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
