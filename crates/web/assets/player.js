// Lantern's SCORM player. Served by the content origin (never by Lantern's own), framed by the Lantern page of a
// package module. It puts the run-time API (scorm-again, from npm) where a SCO looks for it (`window.API` for SCORM
// 1.2, `window.API_1484_11` for 2004, on this window, the SCO frame's parent) and loads the SCO in the frame below.
//
// Commits go to this launch's own URL (`/play/TOKEN/commit`, the token being the launch's only credential): on every
// LMSCommit/Commit, on scorm-again's autocommit a few seconds after a change, on LMSFinish/Terminate (sendBeacon), and
// when the page is hidden or closed without the SCO finishing (sendBeacon: a synchronous request is not allowed
// then). The server checks each commit, keeps it, and answers with each activity's status.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('player-data').textContent);
  var frame = document.getElementById('sco');
  var statusLine = document.getElementById('player-status');
  var previousButton = document.getElementById('previous');
  var nextButton = document.getElementById('next');
  var current = data.start;
  var activity = data.activities[current];
  var live = false;
  var leaving = false;
  var api = null;

  // Flattens nested CMI data ({cmi: {core: {...}}}) to dotted element names with string values; flat data passes
  // through unchanged.
  function flatten(value, prefix, out) {
    if (value !== null && typeof value === 'object') {
      Object.keys(value).forEach(function (k) {
        flatten(value[k], prefix ? prefix + '.' + k : k, out);
      });
    } else if (value !== undefined && value !== null && prefix) {
      out[prefix] = String(value);
    }
    return out;
  }

  function payload(cmi) {
    return { item: activity.id, cmi: flatten(cmi, '', {}) };
  }

  function show(reply) {
    if (!reply) return;
    if (reply.items) {
      Object.keys(reply.items).forEach(function (id) {
        var cell = document.querySelector('[data-status-for="' + CSS.escape(id) + '"]');
        if (cell) cell.textContent = reply.items[id];
      });
    }
    if (reply.message) statusLine.textContent = reply.message;
  }

  function reply(status, text) {
    var r = null;
    try { r = JSON.parse(text); } catch (e) { r = null; }
    show(r);
    var ok = status >= 200 && status < 300 && r !== null && r.result === true;
    if (!ok && r && r.message) statusLine.textContent = r.message;
    return { result: ok ? 'true' : 'false', errorCode: ok ? 0 : 101 };
  }

  function go(index) {
    if (index === null || index === undefined || index < 0 || index >= data.activities.length) return;
    leaving = true;
    if (live) {
      live = false;
      try {
        if (data.version === '1.2') api.LMSFinish(''); else api.Terminate('');
      } catch (e) { /* the SCO's own state is what it is */ }
    }
    var url = new URL(window.location.href);
    url.searchParams.set('start', data.activities[index].id);
    window.location.replace(url.toString());
  }

  function finished() {
    live = false;
    if (leaving) return;
    var request = '';
    if (data.version !== '1.2') {
      try { request = String(api.adl.nav.request || ''); } catch (e) { request = ''; }
    }
    var choice = /^\{target=([^}]+)\}(choice|jump)$/.exec(request);
    if (request === 'continue' && activity.next !== null) {
      go(activity.next);
    } else if (request === 'previous' && activity.previous !== null) {
      go(activity.previous);
    } else if (choice) {
      var target = data.activities.findIndex(function (a) { return a.id === choice[1]; });
      if (target >= 0 && data.activities[target].choosable) go(target);
    } else {
      statusLine.textContent = activity.next !== null
        ? 'This part is finished. Choose Next, or another part from the contents.'
        : 'This part is finished. Go back to the course to see where you are.';
      setTimeout(refresh, 500);
    }
  }

  function refresh() {
    fetch(data.status, { cache: 'no-store' }).then(function (r) { return r.json(); }).then(show).catch(function () {});
  }

  var settings = {
    autocommit: true,
    autocommitSeconds: 5,
    lmsCommitUrl: data.commit,
    dataCommitFormat: 'flattened',
    sendFullCommit: true,
    logLevel: 4,
    requestHandler: function (commit) { return payload(commit); },
    xhrResponseHandler: function (xhr) { return reply(xhr.status, xhr.responseText); },
    responseHandler: function (response) {
      return response.text().then(function (text) { return reply(response.status, text); });
    },
  };
  if (data.version === '1.2') {
    api = new window.Scorm12API(settings);
    api.loadFromFlattenedJSON(activity.cmi, '');
    api.on('LMSInitialize', function () { live = true; });
    api.on('LMSFinish', finished);
    window.API = api;
  } else {
    api = new window.Scorm2004API(settings);
    api.loadFromFlattenedJSON(activity.cmi, '');
    api.on('Initialize', function () { live = true; });
    api.on('Terminate', finished);
    window.API_1484_11 = api;
  }

  // Closing or leaving the page without the SCO finishing: keep what it has set so far.
  window.addEventListener('pagehide', function () {
    if (!live) return;
    try {
      var body = JSON.stringify(payload(api.renderCommitCMI(true)));
      navigator.sendBeacon(data.commit, new Blob([body], { type: 'text/plain' }));
    } catch (e) { /* nothing more can be done as the page goes */ }
  });

  previousButton.disabled = activity.previous === null;
  nextButton.disabled = activity.next === null;
  previousButton.addEventListener('click', function () { go(activity.previous); });
  nextButton.addEventListener('click', function () { go(activity.next); });
  document.querySelectorAll('[data-activity]').forEach(function (b) {
    b.addEventListener('click', function () { go(Number(b.getAttribute('data-activity'))); });
  });

  if (!activity.sco) {
    // An asset does not talk to the runtime: launching it completes it (SCORM 2004 SN 4.2.1).
    fetch(data.commit, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ item: activity.id, cmi: {} }) })
      .then(function (r) { return r.text().then(function (t) { reply(r.status, t); }); })
      .catch(function () {});
  }
  frame.src = activity.url;
})();
