// A demo SCO of Lantern's demo world (our own code, packed into SCORM packages by demo/packages.rs). It finds the
// run-time API on a parent window (SCORM 1.2 `API`, SCORM 2004 `API_1484_11`; RTE 3.3.6.1 / 3.1.2.1: search the
// parent chain), shows one page at a time, keeps the page in location and suspend data (so a learner who leaves
// resumes where they were), and reports completion, and for a quiz the score and whether it passed.
(function () {
  'use strict';
  function find(name) {
    var w = window;
    for (var i = 0; i < 10 && w; i += 1) {
      try { if (w[name]) return w[name]; } catch (e) { return null; }
      if (w.parent === w) break;
      w = w.parent;
    }
    return null;
  }
  var api = find('API_1484_11');
  var v2004 = !!api;
  if (!api) api = find('API');
  var note = document.getElementById('sco-note');
  if (!api) {
    note.textContent = 'This page is part of an e-learning package; open it from Lantern to have your progress saved.';
    return;
  }
  function call(name12, name04) {
    var args = Array.prototype.slice.call(arguments, 2);
    return api[v2004 ? name04 : name12].apply(api, args);
  }
  function get(k12, k04) { return String(call('LMSGetValue', 'GetValue', v2004 ? k04 : k12) || ''); }
  function set(k12, k04, v) { call('LMSSetValue', 'SetValue', v2004 ? k04 : k12, String(v)); }
  function commit() { call('LMSCommit', 'Commit', ''); }

  call('LMSInitialize', 'Initialize', '');
  var pages = Array.prototype.slice.call(document.querySelectorAll('[data-page]'));
  var at = Number(get('cmi.core.lesson_location', 'cmi.location')) || 0;
  if (at >= pages.length) at = 0;
  if (get('cmi.core.entry', 'cmi.entry') === 'resume') {
    note.textContent = 'Welcome back: you are on page ' + (at + 1) + ' of ' + pages.length + ', where you left off.';
  }
  var status = v2004 ? get('', 'cmi.completion_status') : get('cmi.core.lesson_status', '');
  if (status === 'not attempted' || status === 'unknown' || status === '') {
    set('cmi.core.lesson_status', 'cmi.completion_status', 'incomplete');
  }

  function show(i) {
    at = i;
    pages.forEach(function (p, n) { p.hidden = n !== i; });
    set('cmi.core.lesson_location', 'cmi.location', i);
    set('cmi.suspend_data', 'cmi.suspend_data', 'page=' + i);
    // Leaving now is a suspension: the next session resumes (RTE cmi.exit / cmi.core.exit).
    set('cmi.core.exit', 'cmi.exit', 'suspend');
    commit();
    var heading = pages[i].querySelector('h2');
    if (heading) { heading.setAttribute('tabindex', '-1'); heading.focus(); }
  }

  function finish(request) {
    set('cmi.core.exit', 'cmi.exit', v2004 ? 'normal' : '');
    if (v2004 && request) set('', 'adl.nav.request', request);
    commit();
    call('LMSFinish', 'Terminate', '');
  }

  document.querySelectorAll('[data-next]').forEach(function (b) {
    b.addEventListener('click', function () { show(Math.min(at + 1, pages.length - 1)); });
  });
  document.querySelectorAll('[data-back]').forEach(function (b) {
    b.addEventListener('click', function () { show(Math.max(at - 1, 0)); });
  });
  document.querySelectorAll('[data-done]').forEach(function (b) {
    b.addEventListener('click', function () {
      set('cmi.core.lesson_status', 'cmi.completion_status', 'completed');
      note.textContent = 'This part is complete.';
      finish('continue');
    });
  });
  var quiz = document.querySelector('form[data-quiz]');
  if (quiz) {
    quiz.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var questions = quiz.querySelectorAll('fieldset');
      var right = 0;
      questions.forEach(function (q) {
        var chosen = q.querySelector('input:checked');
        if (chosen && chosen.hasAttribute('data-correct')) right += 1;
      });
      var percent = Math.round((100 * right) / questions.length);
      var passed = percent >= 80;
      set('cmi.core.score.min', 'cmi.score.min', 0);
      set('cmi.core.score.max', 'cmi.score.max', 100);
      set('cmi.core.score.raw', 'cmi.score.raw', percent);
      if (v2004) {
        set('', 'cmi.score.scaled', (percent / 100).toFixed(2));
        set('', 'cmi.completion_status', 'completed');
        set('', 'cmi.success_status', passed ? 'passed' : 'failed');
      } else {
        set('cmi.core.lesson_status', '', passed ? 'passed' : 'failed');
      }
      commit();
      var result = document.getElementById('quiz-result');
      result.textContent = 'You scored ' + percent + '%. ' + (passed
        ? 'You passed. Choose Finish to save your result.'
        : 'You need 80% to pass. Read the pages again and try once more.');
      result.focus();
      document.getElementById('quiz-finish').hidden = !passed;
    });
    document.getElementById('quiz-finish').addEventListener('click', function () { finish('continue'); });
  }
  show(at);
})();
