// The live view: polls /live/state once a second and redraws the table in place, so a button
// under the pointer stays put. Everything from the server is set as text, never as markup.
(function () {
  'use strict';
  var POLL_MS = 1000;
  var HISTORY = 60;
  var TOKEN_KEY = 'satchel-admin-token';
  var SVG_NS = 'http://www.w3.org/2000/svg';

  var tbody = document.querySelector('#nodes tbody');
  var rows = new Map(); // node name -> { tr, cells, history }
  var previous = null; // the last state, for requests per second
  var canKillAndStart = false;

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

  function say(text, isError) {
    var m = document.getElementById('message');
    m.textContent = text;
    m.className = isError ? 'error' : '';
  }

  function showTokenState() {
    var have = token() !== '';
    document.getElementById('forget-token').disabled = !have;
    document.getElementById('token-state').textContent = have
      ? 'Actions are on: this tab holds an admin token. Forget it when you are done.'
      : 'Reading the cluster needs no token. To kill, start, drain or enable a node, give the ' +
        "balancer's admin token: this page keeps it in this tab only and sends it with each action.";
    rows.forEach(function (r) { setButtons(r); });
  }

  function cell(tr, className) {
    var td = document.createElement('td');
    if (className) { td.className = className; }
    tr.appendChild(td);
    return td;
  }

  function button(name, action) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = action;
    b.dataset.node = name;
    b.dataset.action = action;
    b.addEventListener('click', function () { act(name, action); });
    return b;
  }

  function rowFor(name) {
    var r = rows.get(name);
    if (r) { return r; }
    var tr = document.createElement('tr');
    tr.dataset.node = name;
    var nameCell = cell(tr);
    var nameText = document.createElement('span');
    nameText.className = 'name';
    nameText.textContent = name;
    var youMark = document.createElement('span');
    youMark.className = 'you-mark';
    nameCell.appendChild(nameText);
    nameCell.appendChild(youMark);
    var stateBadge = document.createElement('span');
    stateBadge.className = 'badge';
    cell(tr).appendChild(stateBadge);
    var sessions = cell(tr, 'num sessions');
    var rate = cell(tr, 'num rate');
    var spark = document.createElementNS(SVG_NS, 'svg');
    spark.setAttribute('class', 'spark');
    spark.setAttribute('viewBox', '0 0 ' + (HISTORY - 1) + ' 28');
    spark.setAttribute('preserveAspectRatio', 'none');
    spark.setAttribute('role', 'img');
    spark.setAttribute('aria-label', 'requests per second over the last minute');
    var line = document.createElementNS(SVG_NS, 'polyline');
    spark.appendChild(line);
    cell(tr).appendChild(spark);
    var active = cell(tr, 'num active');
    var failures = cell(tr, 'num failures');
    var actions = cell(tr, 'actions');
    var buttons = ['kill', 'start', 'drain', 'enable'].map(function (a) { return button(name, a); });
    buttons.forEach(function (b) { actions.appendChild(b); });
    tbody.appendChild(tr);
    r = { tr: tr, youMark: youMark, stateBadge: stateBadge, sessions: sessions, rate: rate, line: line,
          active: active, failures: failures, buttons: buttons, history: [], state: '' };
    rows.set(name, r);
    setButtons(r);
    return r;
  }

  function setButtons(r) {
    var have = token() !== '';
    r.buttons.forEach(function (b) {
      var a = b.dataset.action;
      var offered = (a === 'kill' || a === 'start') ? canKillAndStart : true;
      b.hidden = !offered;
      var pointless = (a === 'kill' && r.state === 'down') || (a === 'start' && r.state !== 'down') ||
        (a === 'drain' && r.state !== 'up') || (a === 'enable' && r.state !== 'draining');
      b.disabled = !have || pointless;
      b.title = have ? '' : 'give the admin token below first';
    });
  }

  function drawSpark(r) {
    var max = Math.max.apply(null, r.history.concat([1]));
    var start = HISTORY - r.history.length;
    var points = r.history.map(function (v, i) {
      return (start + i) + ',' + (27 - (v / max) * 26).toFixed(1);
    });
    r.line.setAttribute('points', points.join(' '));
  }

  function render(state) {
    canKillAndStart = state.canKillAndStart === true;
    document.getElementById('summary').textContent = 'Policy ' + state.policy + ', ' + state.nodes.length +
      ' nodes, updated ' + new Date(state.at).toLocaleTimeString() + '.';
    var viewer = document.getElementById('viewer');
    var you = state.viewer && state.viewer.node ? state.viewer.node : '';
    viewer.dataset.node = you;
    viewer.textContent = you
      ? 'Your browser\u2019s shop requests go to ' + you + ' (' + state.viewer.how + ').'
      : 'Your browser is not pinned to a node: ' + (state.viewer ? state.viewer.how : 'unknown') + '.';
    var seen = new Set();
    state.nodes.forEach(function (n) {
      seen.add(n.name);
      var r = rowFor(n.name);
      r.state = n.state;
      r.tr.className = n.name === you ? 'you' : '';
      r.youMark.textContent = n.name === you ? '\u2190 you' : '';
      r.stateBadge.textContent = n.state;
      r.stateBadge.className = 'badge state-' + n.state;
      r.sessions.textContent = typeof n.sessionsHeld === 'number' ? n.sessionsHeld.toLocaleString() : '\u2013';
      var rate = 0;
      if (previous && previous.counts.has(n.name) && state.at > previous.at) {
        rate = Math.max(0, (n.requests - previous.counts.get(n.name)) * 1000 / (state.at - previous.at));
      }
      r.rate.textContent = previous ? rate.toFixed(rate < 10 ? 1 : 0) : '\u2013';
      if (previous) {
        r.history.push(rate);
        if (r.history.length > HISTORY) { r.history.shift(); }
        drawSpark(r);
      }
      r.active.textContent = String(n.active);
      r.failures.textContent = String(n.failures);
      setButtons(r);
    });
    rows.forEach(function (r, name) {
      if (!seen.has(name)) { r.tr.remove(); rows.delete(name); }
    });
    previous = { at: state.at, counts: new Map(state.nodes.map(function (n) { return [n.name, n.requests]; })) };
  }

  function poll() {
    fetch('/live/state', { cache: 'no-store', credentials: 'same-origin' })
      .then(function (res) {
        if (!res.ok) { throw new Error('the balancer answered ' + res.status); }
        return res.json();
      })
      .then(function (state) {
        render(state);
        document.body.dataset.ready = 'true';
      })
      .catch(function (e) { say('Cannot read the cluster: ' + e.message, true); })
      .finally(function () { setTimeout(poll, POLL_MS); });
  }

  function act(name, action) {
    say(action + ' ' + name + '\u2026', false);
    fetch('/api/nodes/' + encodeURIComponent(name) + '/' + action, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'Authorization': 'Bearer ' + token(), 'Content-Type': 'application/json' },
      body: '{}'
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.status === 401) {
          sessionStorage.removeItem(TOKEN_KEY);
          showTokenState();
          say('The balancer refused the token: give it again.', true);
        } else if (!res.ok) {
          say(action + ' ' + name + ' failed: ' + (body.message || ('HTTP ' + res.status)), true);
        } else {
          say(action + ' ' + name + ': done. The state follows within a few health checks.', false);
        }
      });
    }).catch(function (e) { say(action + ' ' + name + ' failed: ' + e.message, true); });
  }

  document.getElementById('token-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var input = document.getElementById('token');
    var value = input.value.trim();
    input.value = '';
    if (value) {
      sessionStorage.setItem(TOKEN_KEY, value);
      say('Token kept for this tab.', false);
    }
    showTokenState();
  });
  document.getElementById('forget-token').addEventListener('click', function () {
    sessionStorage.removeItem(TOKEN_KEY);
    say('Token forgotten.', false);
    showTokenState();
  });

  showTokenState();
  poll();
}());
