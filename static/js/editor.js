// The article editor's own scripts, loaded on the editor's page only: the
// article page has a 40 KB budget on a phone (site.js is on every page), and
// these are of use to the therapist alone.
(function () {
  'use strict';
  // The article editor keeps what is typed in this browser (localStorage)
  // until the server has it: a session that ran out, a lost connection or a
  // closed tab cannot lose an article. Opened again, the editor offers the
  // words it kept when they differ from what was saved; a copy that matches
  // the saved article is dropped.
  var editor = document.querySelector('form.article-form');
  if (editor && window.localStorage) {
    var fields = ['title', 'slug', 'summary', 'tags', 'author', 'body', 'cover', 'cover_alt'];
    var keyOf = function (action) { return 'dm-article-draft:' + action; };
    var key = keyOf(editor.getAttribute('action'));
    var current = function () {
      var v = {};
      fields.forEach(function (n) { var el = editor.elements[n]; v[n] = el ? el.value : ''; });
      return v;
    };
    var same = function (a, b) { return fields.every(function (n) { return (a[n] || '') === (b[n] || ''); }); };
    var read = function (k) { try { return JSON.parse(localStorage.getItem(k) || 'null'); } catch (err) { return null; } };
    var now = current();
    // A copy sent with Save is dropped once the server says it saved (the
    // page after it, even a new article's, shows .form-saved); a copy that
    // matches what the page holds is no news either.
    var saved = !!document.querySelector('.form-saved');
    [key, keyOf('/admin/articles')].forEach(function (k) {
      var kept = read(k);
      if (kept && ((saved && kept.sent) || same(kept.values, now))) { localStorage.removeItem(k); }
    });
    var kept = read(key);
    if (kept && kept.values) {
      var box = document.createElement('div');
      box.className = 'form-notice draft-kept';
      box.setAttribute('role', 'alert');
      var p = document.createElement('p');
      p.textContent = 'This browser kept words you typed here on ' + new Date(kept.at).toLocaleString('en-GB') +
        ' that were not saved.';
      var restore = document.createElement('button');
      restore.type = 'button'; restore.className = 'button'; restore.textContent = 'Put them back';
      var discard = document.createElement('button');
      discard.type = 'button'; discard.className = 'link-button'; discard.textContent = 'Forget them';
      restore.addEventListener('click', function () {
        fields.forEach(function (n) { if (editor.elements[n]) { editor.elements[n].value = kept.values[n] || ''; } });
        box.remove();
        editor.elements.body && editor.elements.body.dispatchEvent(new Event('input', { bubbles: true }));
        editor.elements.title && editor.elements.title.focus();
      });
      discard.addEventListener('click', function () { localStorage.removeItem(key); box.remove(); });
      box.appendChild(p); box.appendChild(restore); box.appendChild(document.createTextNode(' ')); box.appendChild(discard);
      editor.parentNode.insertBefore(box, editor);
    }
    var timer;
    var keep = function (sent) {
      try { localStorage.setItem(key, JSON.stringify({ at: Date.now(), values: current(), sent: sent })); } catch (err) { /* full: nothing kept */ }
    };
    editor.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { keep(false); }, 300);
    });
    editor.addEventListener('submit', function (e) {
      if (e.submitter && e.submitter.name === 'preview') { return; }
      clearTimeout(timer);
      keep(true); // kept until a page says it was saved: the login may have run out
    });
  }
})();

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
