/* global document */
// Checks the chosen file on the upload page before it is sent, to answer at once instead of after
// uploading megabytes. The server checks everything again: this is only a convenience.
(function checkUpload() {
  'use strict';
  const form = document.getElementById('upload-form');
  if (!form) return;
  const input = document.getElementById('document');
  const message = document.getElementById('upload-error');
  const maxBytes = Number(form.dataset.maxBytes);
  const accepted = form.dataset.accept.split(',');

  function problem(file) {
    if (!file) return 'Choose a document to upload.';
    const dot = file.name.lastIndexOf('.');
    const extension = dot >= 0 ? file.name.slice(dot).toLowerCase() : '';
    if (!accepted.includes(extension)) return `${file.name} is not a supported document: upload Markdown (.md), HTML (.html) or plain text (.txt).`;
    if (file.size > maxBytes) return `${file.name} is larger than the ${form.dataset.maxLabel} limit. Upload a smaller document, or split it.`;
    if (file.size === 0) return `${file.name} is empty: there is nothing to export.`;
    return null;
  }

  function check() {
    const text = problem(input.files[0]);
    message.hidden = !text;
    message.textContent = text || '';
    return !text;
  }

  input.addEventListener('change', check);
  form.addEventListener('submit', (event) => {
    if (!check()) event.preventDefault();
  });
})();
