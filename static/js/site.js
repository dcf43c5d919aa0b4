// The site's only script of its own: small things htmx does not do.
(function () {
  'use strict';

  // An htmx request that fails (an expired form, the site briefly down, no
  // network) shows the server's message, or a plain one, instead of doing
  // nothing: in the comments beside what was pressed, where the eye is (a
  // long page's top is far away), elsewhere at the top of the page.
  function noteAt(elt) {
    return elt && elt.closest ? elt.closest('#comments .comment-actions, #comments form') : null;
  }
  function flash(text, elt) {
    var at = noteAt(elt), box = document.getElementById('flash');
    if (at) {
      box = at.nextElementSibling;
      if (!box || !box.classList.contains('request-note')) {
        box = document.createElement('p');
        box.className = 'form-notice request-note';
        box.setAttribute('role', 'alert');
        at.parentNode.insertBefore(box, at.nextSibling);
      }
    }
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
    flash(text || 'Something went wrong. Please try again.', e.detail.elt);
  });
  document.addEventListener('htmx:sendError', function (e) {
    flash('The site could not be reached. Check your connection and try again; nothing you typed is lost.', e.detail.elt);
  });
  document.addEventListener('htmx:beforeRequest', function (e) {
    var box = document.getElementById('flash'), at = noteAt(e.detail.elt), note = at && at.nextElementSibling;
    if (box) { box.textContent = ''; }
    if (note && note.classList.contains('request-note')) { note.remove(); }
  });

  // A form that undoes something (a calendar link, a picture, a service on
  // offer) asks first: data-confirm holds the question. Without JavaScript
  // the form is sent as it is.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      e.preventDefault();
    }
  }, true);

  // A comment hidden or deleted live takes its thread off the page; but not
  // from under someone writing a reply in it: then the comment only gives
  // way to a note, and the reply stays (sent, it moves to the main form).
  document.addEventListener('htmx:oobBeforeSwap', function (e) {
    var thread = e.detail.target;
    if (!thread || !thread.id || thread.id.indexOf('thread-') !== 0) { return; }
    var typing = [].some.call(thread.querySelectorAll('.comment-form textarea'), function (ta) {
      return ta.value.trim() !== '';
    });
    // The reader's own comment just deleted (the focus is on its note):
    // the note stays until the page is left, not to drop the focus.
    if (thread.contains(document.activeElement) && thread.querySelector('article.deleted')) {
      e.detail.shouldSwap = false;
      return;
    }
    if (!typing) { return; }
    e.detail.shouldSwap = false;
    var comment = thread.querySelector('article.comment');
    if (comment) {
      comment.classList.add('deleted');
      comment.textContent = '';
      var note = document.createElement('p');
      note.textContent = 'This comment is no longer shown.';
      comment.appendChild(note);
    }
  });

  // Comments are paged: a live event about a comment whose thread this page
  // does not show (an older page not opened) has nothing to swap into, which
  // htmx reports as an error. Such an event is not for this page; only its
  // count is.
  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    var data = e.detail && e.detail.data;
    if (typeof data !== 'string' || data.indexOf('hx-swap-oob') < 0) { return; }
    var doc = new DOMParser().parseFromString(data, 'text/html');
    var missing = [].some.call(doc.querySelectorAll('[hx-swap-oob]'), function (el) {
      var spec = el.getAttribute('hx-swap-oob'), i = spec.indexOf(':');
      try {
        return !document.querySelector(i < 0 ? '#' + CSS.escape(el.id) : spec.slice(i + 1));
      } catch (err) { return false; }
    });
    if (!missing) { return; }
    e.preventDefault();
    var count = doc.getElementById('comment-count'), here = document.getElementById('comment-count');
    if (count && here) { here.textContent = count.textContent; }
  });

  // The forms of a page every visitor shares carry their anti-spam stamps
  // empty (data-stamp): one request fills them all in, once the page (or a
  // fragment bringing such a form) has loaded and the browser is idle, so
  // that it adds nothing to the page's start-up. A form sent before it
  // arrives, or without JavaScript, is asked to press again, stamped.
  var stamping = false;
  function fillStamps() {
    var first = document.querySelector('input[data-stamp]');
    if (!first || stamping || !window.fetch) { return; }
    stamping = true;
    fetch(first.dataset.stamp, { headers: { 'HX-Request': 'true' }, cache: 'no-store' })
      .then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (html) {
        var got = new DOMParser().parseFromString(html, 'text/html').querySelector('input[name=started]');
        if (!got || !got.value) { return; }
        document.querySelectorAll('input[data-stamp]').forEach(function (el) {
          el.value = got.value;
          el.removeAttribute('data-stamp');
        });
      })
      .catch(function () {})
      .then(function () { stamping = false; });
  }
  var whenIdle = window.requestIdleCallback || function (f) { setTimeout(f, 1); };
  document.addEventListener('htmx:load', function (e) {
    if (e.detail.elt.querySelector && e.detail.elt.querySelector('input[data-stamp]')) { whenIdle(fillStamps); }
  });

  // Enter in a search box of a bigger form (the therapist's client search
  // while adding a booking) searches, rather than sending the whole form.
  document.addEventListener('keydown', function (e) {
    var el = e.target;
    if (e.key !== 'Enter' || !el.hasAttribute || !el.hasAttribute('data-enter-searches') || !window.htmx) { return; }
    e.preventDefault();
    htmx.trigger(el, 'search');
  });

  // A Reply link opens its reply form in place (a plain link without
  // JavaScript: the page with the form open). One listener serves every link,
  // including comments that arrive live: htmx attributes on each link cost a
  // phone most of its start-up work on a long thread. The form carries the
  // page's anti-spam stamp, as the main form does.
  //
  // A reply form closed (its Close link) is only hidden, so what was typed
  // stays until the page is left: Reply shows it again, or, for another
  // comment of the thread, brings that form with the words carried over.
  function plainClick(e, sel) {
    var a = e.target.closest ? e.target.closest(sel) : null;
    return a && window.htmx && !e.defaultPrevented && e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey ? a : null;
  }
  function fieldOf(form, name) { return form && form.querySelector('[name=' + name + ']'); }
  var openers = {}; // reply slot id → the Reply link that opened its form
  function focusReply(form) {
    var name = fieldOf(form, 'name');
    (name && !name.value ? name : fieldOf(form, 'body')).focus();
  }
  document.addEventListener('click', function (e) {
    var a = plainClick(e, 'a[data-reply]');
    var slot = a && document.getElementById(a.dataset.replySlot);
    if (!slot) { return; }
    e.preventDefault();
    openers[slot.id] = a;
    var open = slot.querySelector('form'), to = fieldOf(open, 'reply_to');
    if (to && a.dataset.reply.slice(-('/' + to.value + '/reply').length) === '/' + to.value + '/reply') {
      open.hidden = false;
      focusReply(open);
      return;
    }
    var kept = {};
    if (open) {
      ['name', 'body', 'email'].forEach(function (n) { kept[n] = fieldOf(open, n).value; });
      kept.notify = fieldOf(open, 'notify').checked;
    }
    var started = document.querySelector('#comment-form [name=started]');
    htmx.ajax('GET', a.dataset.reply, {
      source: a, target: slot, swap: 'innerHTML',
      values: started ? { started: started.value } : {}
    }).then(function () {
      var form = slot.querySelector('form');
      if (!form) { return; }
      ['name', 'body', 'email'].forEach(function (n) { var f = fieldOf(form, n); if (f && !f.value && kept[n]) { f.value = kept[n]; } });
      if (kept.notify) { fieldOf(form, 'notify').checked = true; }
      focusReply(form);
    });
  });
  document.addEventListener('click', function (e) {
    var a = plainClick(e, 'a[data-close-reply]');
    var form = a && a.closest('form');
    if (!form) { return; }
    e.preventDefault();
    form.hidden = true;
    var slot = form.parentNode, thread = form.closest('.thread');
    var link = (slot && openers[slot.id] && document.contains(openers[slot.id])) ? openers[slot.id] : thread && thread.querySelector('a[data-reply]');
    if (link) { link.focus(); }
  });

  // A preview shown, then the text changed: the preview says it is of an
  // earlier text (CSS), until Preview is pressed again.
  document.addEventListener('input', function (e) {
    var form = e.target.form, pv = form && e.target.name === 'body' && form.querySelector('.comment-preview');
    if (pv) { pv.setAttribute('data-stale', ''); }
  });

  // The booking flow: when a swap of #picker (another day) or #book-flow (a
  // time chosen: the details form) took away the focused element, the focus
  // would fall back to the page's body and a keyboard or screen reader user
  // would start again at the top. Move it to the heading of what was swapped
  // in instead. A swap that leaves the focus where it was (choosing a
  // service or a place) keeps it there.
  //
  // A live region swapped in whole is not reliably announced, so the words
  // of the new picker's status go into #picker-announce, which stays in the
  // page; the copy that came with the swap is silenced, not to be read twice.
  //
  // An answer that is not a picker (the error message of a 429, "please
  // wait") must not take its place: the visitor would lose the day they
  // chose. Its words go above the times instead.
  var pickerSwapped = null;
  document.addEventListener('htmx:beforeSwap', function (e) {
    var target = e.detail.target;
    pickerSwapped = null;
    if (!target || (target.id !== 'picker' && target.id !== 'book-flow') || !e.detail.shouldSwap) { return; }
    var body = e.detail.serverResponse || '';
    if (!/<(section|div)[^>]*\sid="(picker|book-flow)"/.test(body)) {
      e.detail.shouldSwap = false;
      var doc = new DOMParser().parseFromString(body, 'text/html');
      var p = doc.querySelector('.error p');
      var note = document.getElementById('picker-refusal') || document.createElement('p');
      note.id = 'picker-refusal';
      note.className = 'form-notice';
      note.setAttribute('role', 'alert');
      note.textContent = p ? p.textContent.trim() : 'Something went wrong. Please try again.';
      var times = document.querySelector('#picker .times');
      if (times) { times.parentNode.insertBefore(note, times); } else { target.appendChild(note); }
      return;
    }
    pickerSwapped = target.id;
  });
  document.addEventListener('htmx:afterSwap', function () {
    if (!pickerSwapped) { return; }
    var status = document.getElementById('picker-status');
    var announce = document.getElementById('picker-announce');
    if (!announce) { return; }
    // The details form has no status: the focus on its heading says enough.
    announce.textContent = status ? status.textContent.trim() : '';
    if (status) { status.setAttribute('aria-live', 'off'); }
  });
  document.addEventListener('htmx:afterSettle', function () {
    if (!pickerSwapped) { return; }
    var id = pickerSwapped;
    pickerSwapped = null;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) { return; }
    var heading = document.querySelector('#' + id + ' h2[tabindex="-1"]') || document.querySelector('#book-flow h2[tabindex="-1"]');
    if (heading) { heading.focus(); }
  });

  // A day's times are one stop for the Tab key: the arrow keys (and Home,
  // End) move between them, Enter or Space chooses. Without this script
  // each time is its own stop, which works too.
  function roving(root) {
    (root.querySelectorAll ? root : document).querySelectorAll('.times[role="group"]').forEach(function (group) {
      var buttons = [].slice.call(group.querySelectorAll('button'));
      if (!buttons.length || group.dataset.roving) { return; }
      group.dataset.roving = '1';
      var current = group.querySelector('button.held') || buttons[0];
      buttons.forEach(function (b) { b.tabIndex = b === current ? 0 : -1; });
      group.addEventListener('keydown', function (e) {
        var i = buttons.indexOf(document.activeElement);
        if (i < 0) { return; }
        var next = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1, Home: 0, End: buttons.length - 1 }[e.key];
        if (next === undefined) { return; }
        e.preventDefault();
        next = Math.max(0, Math.min(buttons.length - 1, next));
        buttons[i].tabIndex = -1;
        buttons[next].tabIndex = 0;
        buttons[next].focus();
      });
    });
  }
  roving(document);
  document.addEventListener('htmx:load', function (e) { roving(e.detail.elt); });

  // A move sent with no time chosen says so beside its button, where the
  // eye is, instead of sending the page back to the top.
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.matches || !form.matches('form.slots') || !form.querySelector('input[type="radio"][name="start"]')) { return; }
    if (form.querySelector('input[name="start"]:checked')) { return; }
    e.preventDefault();
    var note = form.querySelector('#submit-note');
    if (note) { note.textContent = 'Please choose a time first.'; }
  });
  document.addEventListener('change', function (e) {
    var form = e.target.form;
    if (!form || !form.matches('form.slots') || e.target.name !== 'start') { return; }
    var note = form.querySelector('#submit-note');
    if (note) { note.textContent = ''; } // a time is chosen: the note is answered
  });

  // The booking details are kept in this tab (sessionStorage, gone when the
  // tab closes) while they are typed, and put back into empty fields when
  // the form is shown again: after Back, a "Change" of time or service, a
  // reload or a time taken meanwhile. Once booked, they are forgotten.
  var draftSkip = { service: 1, location: 1, start: 1, again: 1, fill: 1 };
  function draftKey(form) { return 'dm-draft:' + form.dataset.draft; }
  function saveDraft(form) {
    var v = {};
    [].forEach.call(form.elements, function (el) {
      if (!el.name || draftSkip[el.name] || el.type === 'submit' || el.type === 'hidden') { return; }
      if (el.type === 'radio') { if (el.checked) { v[el.name] = el.value; } return; }
      if (el.type === 'checkbox') { v[el.name] = el.checked ? el.value : ''; return; }
      v[el.name] = el.value;
    });
    try { sessionStorage.setItem(draftKey(form), JSON.stringify(v)); } catch (err) { /* private mode: nothing kept */ }
  }
  function restoreDrafts(root) {
    (root.querySelectorAll ? root : document).querySelectorAll('form[data-draft]').forEach(function (form) {
      if (form.dataset.draftReady) { return; }
      form.dataset.draftReady = '1';
      var kept = null;
      try { kept = JSON.parse(sessionStorage.getItem(draftKey(form)) || 'null'); } catch (err) { kept = null; }
      if (kept) {
        Object.keys(kept).forEach(function (name) {
          var els = form.querySelectorAll('[name="' + name.replace(/"/g, '') + '"]');
          if (!els.length) { return; }
          var el = els[0];
          if (el.type === 'radio') {
            var any = [].some.call(els, function (r) { return r.checked; });
            if (!any) { [].forEach.call(els, function (r) { r.checked = r.value === kept[name]; }); }
          } else if (el.type === 'checkbox') {
            if (!el.checked && kept[name]) { el.checked = true; }
          } else if (!el.value) {
            el.value = kept[name];
          }
        });
      }
      form.addEventListener('input', function () { saveDraft(form); });
      form.addEventListener('change', function () { saveDraft(form); });
    });
  }
  if (/[?&]booked=1/.test(location.search)) {
    try { sessionStorage.removeItem('dm-draft:booking'); } catch (err) { /* nothing kept */ }
  }
  restoreDrafts(document);
  document.addEventListener('htmx:load', function (e) { restoreDrafts(e.detail.elt); });

  // "None of these apply to me" answers every health question no; a yes
  // takes the tick away again.
  document.addEventListener('change', function (e) {
    var el = e.target;
    var fs = el.closest && el.closest('fieldset.health');
    if (!fs) { return; }
    if (el.name === 'health_none' && el.checked) {
      fs.querySelectorAll('input[type="radio"][value="no"]').forEach(function (r) {
        if (!fs.querySelector('input[type="radio"][name="' + r.name + '"]:checked')) { r.checked = true; }
      });
    } else if (el.type === 'radio' && el.value === 'yes') {
      var none = fs.querySelector('input[name="health_none"]');
      if (none) { none.checked = false; }
    }
  });

  // Live comments arrive twice for the person who wrote one: in the answer
  // to their post and on the stream. Keep one: a streamed comment already on
  // the page is skipped, and the posted one (with its Edit and Delete)
  // replaces a streamed copy that came first. The author's own copy of a
  // comment awaiting approval gives way to the approved one when it streams.
  document.addEventListener('htmx:sseBeforeMessage', function (e) {
    if (e.detail.type !== 'comment') { return; }
    var m = /id="(comment-\d+)"/.exec(e.detail.data || '');
    var old = m && document.getElementById(m[1]);
    if (!old) { return; }
    if (old.classList.contains('held')) { (old.closest('li') || old).remove(); return; }
    e.preventDefault();
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
    // The focus, if it was in the comment, goes back to the same control.
    var controls = [].slice.call(target.querySelectorAll('a, button')), at = controls.indexOf(document.activeElement);
    if (at >= 0 || document.activeElement === target) { refocus = { id: target.id, at: at }; } // at -1: the comment itself
    var mine = target.querySelector('.comment-actions a[href$="/edit"]');
    var actions = incoming.querySelector('.comment-actions');
    // Helpful stays as this reader pressed it (its count is kept current live).
    var was = target.querySelector('.helpful'), b = incoming.querySelector('.helpful');
    if (was && b) { b.replaceWith(was.cloneNode(true)); }
    if (mine && actions && !actions.querySelector('a[href$="/edit"]')) {
      actions.replaceWith(mine.closest('.comment-actions').cloneNode(true));
    }
  });

  var refocus = null;
  document.addEventListener('htmx:oobAfterSwap', function () {
    var r = refocus, el = r && document.getElementById(r.id), c = el && (r.at < 0 ? el : el.querySelectorAll('a, button')[r.at]);
    refocus = null;
    if (c === el && el) { el.setAttribute('tabindex', '-1'); }
    if (c) { c.focus(); }
  });

  // Helpful: one listener for every button (as for Reply); the focus stays.
  // One refusal shown at a time. The stream brings every tab the new count;
  // the other tabs of this browser (the same voter) also hear whether it is
  // pressed now.
  var tabs = window.BroadcastChannel ? new BroadcastChannel('helpful') : null;
  function helpfulButton(u) { return document.querySelector('button.helpful[formaction="' + u + '"]'); }
  if (tabs) {
    tabs.onmessage = function (e) {
      var b = e.data && helpfulButton(e.data.u);
      if (b) { b.setAttribute('aria-pressed', e.data.p); b.value = e.data.p === 'true' ? '0' : '1'; }
    };
  }
  document.addEventListener('click', function (e) {
    var b = e.target.closest && e.target.closest('button.helpful'), u = b && b.getAttribute('formaction');
    if (!u || !window.htmx) { return; }
    e.preventDefault();
    document.querySelectorAll('.helpful + .field-error').forEach(function (n) { n.remove(); });
    htmx.ajax('POST', u, { source: b, target: b, swap: 'outerHTML', values: { helpful: b.value } }).then(function () {
      var now = helpfulButton(u);
      if (now && tabs) { tabs.postMessage({ u: u, p: now.getAttribute('aria-pressed') }); }
      if (now && document.activeElement === document.body) { now.focus(); }
    });
  });

  // A comment just posted is brought into view (gently, unless the reader
  // asked for reduced motion), marked as theirs (CSS .just-posted) and
  // given the focus: eye, keyboard and screen reader all land on it. Once
  // it is in the page: htmx:load bubbles from the new comment (the settle
  // events of a reply's answer fire on its form, already gone).
  function showJustPosted() {
    var el = document.querySelector('article.just-posted:not([tabindex])');
    if (!el) { return; }
    el.setAttribute('tabindex', '-1');
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: 'center', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
  }
  document.addEventListener('htmx:load', showJustPosted);

  // The edit form's time left counts down while it is open. The page was
  // given the seconds left, counted here on the page's own steady clock
  // (whatever the device's date says); Save after the end is refused by
  // the server anyway, with the text kept.
  function countDown(el) {
    var end = performance.now() + 1000 * +el.getAttribute('data-edit-left');
    el.removeAttribute('data-edit-left');
    (function tick() {
      var s = (end - performance.now()) / 1000, m = Math.ceil(s / 60);
      if (!el.isConnected) { return; }
      if (s <= 0) { el.parentNode.textContent = 'The 10 minutes for changing it are over.'; return; }
      el.textContent = m === 1 ? '1 more minute' : m + ' more minutes';
      setTimeout(tick, (s - (m - 1) * 60) * 1000 + 20);
    })();
  }
  document.addEventListener('htmx:load', function (e) {
    e.target.querySelectorAll('[data-edit-left]').forEach(countDown);
  });

  // Keep the keyboard where the reader was: after saving or deleting their
  // comment, focus moves to that comment instead of falling back to the top
  // of the page.
  var focusComment = null;
  document.addEventListener('htmx:beforeSwap', function (e) {
    var t = e.detail.target;
    if (t && /^comment-\d+$/.test(t.id)) { focusComment = t.id; }
  });
  document.addEventListener('htmx:beforeRequest', function () { focusComment = null; });
  // One answer can settle in several steps (its out-of-band parts first):
  // act once the focus has actually been lost.
  function focusLostComment() {
    if (!focusComment || (document.activeElement && document.activeElement !== document.body)) { return; }
    var el = document.getElementById(focusComment);
    focusComment = null;
    if (el && el.matches('article.comment')) {
      el.setAttribute('tabindex', '-1');
      el.focus();
    }
  }
  document.addEventListener('htmx:afterSettle', focusLostComment);
  // When the live stream is refused (too many readers from one connection,
  // the server busy or restarting), say so above the comments: the page is
  // not live until it connects again, which the extension keeps trying.
  // The note goes once it does. A "reload" notice already there stays.
  document.addEventListener('htmx:sseError', function (e) {
    var source = e.detail && e.detail.source;
    var slot = document.getElementById('comments-stale');
    // CONNECTING: the browser reconnects by itself; only CLOSED is refused.
    if (!source || source.readyState !== 2 || !slot || (slot.textContent.trim() && !slot.hasAttribute('data-live-off'))) { return; }
    slot.className = 'form-notice';
    slot.setAttribute('role', 'status');
    slot.setAttribute('data-live-off', '');
    slot.textContent = 'New comments are not appearing live just now; they will once the connection is back. Reload the page to see the latest.';
  });
  document.addEventListener('htmx:sseOpen', function () {
    var slot = document.getElementById('comments-stale');
    if (!slot || !slot.hasAttribute('data-live-off')) { return; }
    slot.removeAttribute('data-live-off');
    slot.removeAttribute('role');
    slot.className = '';
    slot.textContent = '';
  });
})();
