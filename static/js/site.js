// The site's only script of its own: small things htmx does not do.
(function () {
  'use strict';

  // An htmx request that fails (an expired form, the site briefly down, no
  // network) shows the server's message, or a plain one, at the top of the
  // page instead of doing nothing.
  function flash(text) {
    var box = document.getElementById('flash');
    if (box) { box.textContent = text; }
  }
  document.addEventListener('htmx:responseError', function (e) {
    var xhr = e.detail.xhr, text = '';
    if (xhr && xhr.responseText) {
      // The server's error fragment; only its words are shown.
      var doc = new DOMParser().parseFromString(xhr.responseText, 'text/html');
      var p = doc.querySelector('.error p');
      text = p ? p.textContent.trim() : '';
    }
    flash(text || 'Something went wrong. Please try again.');
  });
  document.addEventListener('htmx:sendError', function () {
    flash('The site could not be reached. Check your connection and try again; nothing you typed is lost.');
  });
  document.addEventListener('htmx:beforeRequest', function () {
    var box = document.getElementById('flash');
    if (box) { box.textContent = ''; }
  });

  // Live comments arrive twice for the person who wrote one: in the answer
  // to their post and on the stream. Keep one: a streamed comment already on
  // the page is skipped, and the posted one (with its Edit and Delete)
  // replaces a streamed copy that came first.
  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    if (e.detail.type !== 'comment') { return; }
    var m = /id="(comment-\d+)"/.exec(e.detail.data || '');
    if (m && document.getElementById(m[1])) { e.preventDefault(); }
  });
  document.addEventListener('htmx:oobBeforeSwap', function (e) {
    var target = e.detail.target;
    if (!target || !(target.id === 'comment-list' || /^replies-\d+$/.test(target.id))) { return; }
    e.detail.fragment.querySelectorAll('[id^="comment-"]').forEach(function (el) {
      var old = document.getElementById(el.id);
      if (old) { (old.closest('li') || old).remove(); }
    });
  });

  // A live update of a comment (an edit) is rendered once for every reader,
  // so it carries no Edit and Delete. On its author's page, where the
  // comment has them, keep them; and while the author is editing it, leave
  // the form alone (the answer to their Save brings the comment back).
  document.addEventListener('htmx:oobBeforeSwap', function (e) {
    var target = e.detail.target;
    if (!target || !/^comment-\d+$/.test(target.id)) { return; }
    var incoming = e.detail.fragment.querySelector('article.comment:not(.deleted)');
    if (!incoming) { return; }
    if (target.matches('form.comment-edit')) { e.detail.shouldSwap = false; return; }
    var mine = target.querySelector('.comment-actions a[href$="/edit"]');
    var actions = incoming.querySelector('.comment-actions');
    if (mine && actions && !actions.querySelector('a[href$="/edit"]')) {
      actions.replaceWith(mine.closest('.comment-actions').cloneNode(true));
    }
  });
})();
