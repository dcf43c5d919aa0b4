// The article editor's pictures (issue 17), loaded on the editor's page
// only: the article page has a 40 KB budget on a phone (site.js is on every
// page), and this is of use to the therapist alone. A picture chosen, dragged
// onto the article or pasted into it is uploaded to her pictures (XHR, for
// its progress), she is asked what it shows (alt text, required), and its
// Markdown goes where the cursor was. It is also offered as the cover.
// Without this script the Upload button opens the Pictures page in a new
// tab.
(function () {
  'use strict';
  var form = document.querySelector('form.article-form');
  var box = form && document.getElementById('picture-add');
  if (!box || !window.FormData || !window.XMLHttpRequest) { return; }
  var body = form.elements.body, input = document.getElementById('f-picture');
  var status = document.getElementById('picture-status'), ask = document.getElementById('picture-alt');
  var alt = document.getElementById('f-picture-alt'), altError = document.getElementById('f-picture-alt-error');
  var img = document.getElementById('picture-alt-img'), cover = form.elements.cover, coverAlt = form.elements.cover_alt;
  var pending = null, at = 0, busy = false;
  box.classList.add('js-pictures');
  document.getElementById('f-picture-hint').textContent = 'JPEG, PNG, GIF or WebP, up to 15 MB. ' +
    'Choose one here, or drag or paste it into the article: it goes where the cursor is.';
  function say(text, error) { status.textContent = text; status.classList.toggle('is-error', !!error); }
  function upload(file) {
    if (!file || busy) { return; }
    if (!/^image\/(jpeg|png|gif|webp)$/.test(file.type)) {
      say('That file is not a picture the site can use. Please choose a JPEG, PNG, GIF or WebP picture.', true); return;
    }
    if (file.size > 15 * 1024 * 1024) { say('That picture is larger than 15 MB. Please choose a smaller one.', true); return; }
    at = typeof body.selectionStart === 'number' ? body.selectionStart : body.value.length;
    busy = true;
    var data = new FormData();
    data.append('picture', file, file.name || 'pasted-picture');
    var xhr = new XMLHttpRequest();
    xhr.open('POST', '/admin/media');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { say('Uploading the picture: ' + Math.round(e.loaded * 100 / e.total) + '%'); }
    };
    xhr.onload = function () {
      busy = false;
      var r = null;
      try { r = JSON.parse(xhr.responseText); } catch (err) { r = null; }
      if (xhr.status === 201 && r && r.url) { uploaded(r); return; }
      say(r && r.error ? r.error : 'The picture could not be uploaded: your login may have run out. ' +
        'Log in again in another tab, then add it again; nothing here is lost.', true);
    };
    xhr.onerror = function () {
      busy = false;
      say('The site could not be reached. Check your connection and try again; nothing you typed is lost.', true);
    };
    say('Uploading the picture…');
    xhr.send(data);
  }
  function uploaded(r) {
    pending = r;
    img.src = r.url; img.width = r.width; img.height = r.height;
    alt.value = ''; alt.removeAttribute('aria-invalid'); altError.hidden = true; altError.className = '';
    ask.hidden = false;
    say('Uploaded. Now say what it shows.');
    alt.focus();
  }
  function close(text) {
    pending = null; ask.hidden = true; input.value = '';
    say(text);
    body.focus();
    body.setSelectionRange(at, at);
  }
  function insert() {
    var words = alt.value.trim().replace(/[\[\]\n]/g, ' ');
    if (!words) {
      altError.textContent = 'Please say what the picture shows: readers who cannot see it hear these words.';
      altError.className = 'field-error'; altError.hidden = false; alt.setAttribute('aria-invalid', 'true'); alt.focus();
      return;
    }
    var before = body.value.slice(0, at), after = body.value.slice(at);
    var md = (before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? '\n' : '\n\n') : '') +
      '![' + words + '](' + pending.url + ')' + (after && !/^\n/.test(after) ? '\n\n' : '');
    body.value = before + md + after;
    if (cover && !cover.querySelector('option[value="' + pending.id + '"]')) {
      var o = document.createElement('option');
      o.value = pending.id; o.dataset.alt = words;
      o.textContent = words + ' (' + pending.width + ' × ' + pending.height + ')';
      cover.appendChild(o);
    }
    at += md.length;
    close('The picture is in the article.');
    body.dispatchEvent(new Event('input', { bubbles: true })); // the preview and the kept draft
  }
  input.addEventListener('change', function () { upload(input.files[0]); });
  document.getElementById('picture-insert').addEventListener('click', insert);
  document.getElementById('picture-cancel').addEventListener('click', function () {
    close('The picture was not put in the article; it stays in your Pictures.');
  });
  alt.addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { e.preventDefault(); insert(); }
    if (e.key === 'Escape') { e.preventDefault(); close('The picture was not put in the article; it stays in your Pictures.'); }
  });
  function fileOf(dt) {
    var files = dt && dt.files;
    return files && files.length ? files[0] : null;
  }
  body.addEventListener('paste', function (e) {
    var file = fileOf(e.clipboardData);
    if (file) { e.preventDefault(); upload(file); }
  });
  body.addEventListener('dragover', function (e) {
    if (e.dataTransfer && [].indexOf.call(e.dataTransfer.types || [], 'Files') >= 0) {
      e.preventDefault(); body.classList.add('is-dropping');
    }
  });
  body.addEventListener('dragleave', function () { body.classList.remove('is-dropping'); });
  body.addEventListener('drop', function (e) {
    body.classList.remove('is-dropping');
    var file = fileOf(e.dataTransfer);
    if (file) { e.preventDefault(); upload(file); }
  });
  // A cover chosen without words yet starts with the picture's own.
  if (cover && coverAlt) {
    cover.addEventListener('change', function () {
      var o = cover.selectedOptions[0];
      if (o && o.dataset.alt && !coverAlt.value.trim()) { coverAlt.value = o.dataset.alt; }
    });
  }
})();
