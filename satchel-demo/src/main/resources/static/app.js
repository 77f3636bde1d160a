'use strict';
// The shop's pages: plain fetch() against the JSON API; the session cookie does the rest.

const $ = (id) => document.getElementById(id);
const money = (cents) => (cents / 100).toFixed(2);

async function api(method, path, body) {
  const res = await fetch('/api' + path, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: 'same-origin',
  });
  const servedBy = res.headers.get('X-Served-By');
  if (servedBy && $('served-by')) $('served-by').textContent = servedBy;
  const data = res.status === 204 ? {} : await res.json();
  if (!res.ok) throw new Error(data.message || ('HTTP ' + res.status));
  return data;
}

function say(text, isError) {
  const m = $('message');
  if (!m) return;
  m.textContent = text;
  m.className = isError ? 'error' : '';
}

async function whoAmI() {
  try {
    const me = await api('GET', '/me');
    if ($('who')) $('who').textContent = 'Hello, ' + me.username + ' (visit ' + me.visits + ')';
    if ($('login-link')) $('login-link').hidden = true;
    return me;
  } catch (e) {
    if ($('who')) $('who').textContent = 'Not logged in';
    return null;
  }
}

async function shopPage() {
  await whoAmI();
  const [catalog, cart] = await Promise.all([api('GET', '/catalog'), api('GET', '/cart')]);
  $('cart-count').textContent = cart.items.reduce((n, l) => n + l.qty, 0);
  const list = $('catalog');
  for (const item of catalog.items) {
    const li = document.createElement('li');
    li.innerHTML = '<span></span><span></span>';
    li.children[0].textContent = item.name + ' · ' + money(item.priceCents);
    const button = document.createElement('button');
    button.textContent = 'Add to cart';
    button.id = 'add-' + item.sku;
    button.addEventListener('click', async () => {
      try {
        const updated = await api('POST', '/cart/items', { sku: item.sku, qty: 1 });
        $('cart-count').textContent = updated.items.reduce((n, l) => n + l.qty, 0);
        say('Added ' + item.name + '.');
      } catch (e) { say(e.message, true); }
    });
    li.children[1].appendChild(button);
    list.appendChild(li);
  }
}

async function cartPage() {
  const me = await whoAmI();
  const [catalog, cart] = await Promise.all([api('GET', '/catalog'), api('GET', '/cart')]);
  const prices = Object.fromEntries(catalog.items.map((i) => [i.sku, i]));
  renderCart(cart, prices);
  $('parallel-add').addEventListener('click', () => parallelAdds(prices).catch((e) => say(e.message, true)));
  if (me) {
    $('account').hidden = false;
    const sessions = await api('GET', '/sessions');
    for (const s of sessions.sessions) {
      const li = document.createElement('li');
      li.textContent = (s.current ? 'this browser' : 'session ' + s.handle) + ' · since ' + new Date(s.created).toLocaleString() + ' · on ' + s.node;
      $('sessions').appendChild(li);
    }
    $('logout').addEventListener('click', async () => {
      await api('POST', '/logout');
      location.href = '/login';
    });
    $('logout-everywhere').addEventListener('click', async () => {
      const r = await api('POST', '/logout-everywhere');
      say('Ended ' + r.ended + ' session(s).');
      setTimeout(() => { location.href = '/login'; }, 800);
    });
  }
}

// Parallel requests of one user: the first creates the session if there is none (requests sent
// before any cookie exists would each make their own), the rest go at once.
async function parallelAdds(prices) {
  const sku = 'MUG-01';
  const count = (cart) => cart.items.filter((l) => l.sku === sku).reduce((n, l) => n + l.qty, 0);
  const before = count(await api('GET', '/cart'));
  const add = () => api('POST', '/cart/items', { sku, qty: 1 });
  await add();
  const results = await Promise.allSettled(Array.from({ length: 12 }, add));
  const failed = results.filter((r) => r.status === 'rejected').length;
  const after = await api('GET', '/cart');
  renderCart(after, prices);
  $('parallel-result').textContent = 'Sent 13 additions (12 at once), ' + failed + ' refused; the cart gained '
      + (count(after) - before) + ' mugs.';
}

function renderCart(cart, prices) {
  const list = $('cart');
  list.textContent = '';
  let total = 0;
  for (const line of cart.items) {
    const item = prices[line.sku];
    total += item.priceCents * line.qty;
    const li = document.createElement('li');
    li.textContent = line.qty + ' × ' + item.name + ' ';
    const remove = document.createElement('button');
    remove.textContent = 'Remove';
    remove.id = 'remove-' + line.sku;
    remove.addEventListener('click', async () => {
      try { renderCart(await api('DELETE', '/cart/items/' + encodeURIComponent(line.sku)), prices); }
      catch (e) { say(e.message, true); }
    });
    li.appendChild(remove);
    list.appendChild(li);
  }
  if (cart.items.length === 0) list.textContent = 'Your cart is empty.';
  $('total').textContent = money(total);
  $('cart-version').textContent = cart.version;
}

function loginPage() {
  const submit = (formId, path, done) => {
    $(formId).addEventListener('submit', async (event) => {
      event.preventDefault();
      const form = new FormData(event.target);
      try {
        await api('POST', path, { username: form.get('username'), password: form.get('password') });
        done(form.get('username'));
      } catch (e) { say(e.message, true); }
    });
  };
  submit('login-form', '/login', () => { location.href = '/cart'; });
  submit('signup-form', '/signup', (name) => {
    say('Account ' + name + ' created. Log in now.');
    $('login-username').value = name;
  });
}

const pages = { shop: shopPage, cart: cartPage, login: loginPage };
const page = pages[document.body.dataset.page];
if (page) Promise.resolve(page()).catch((e) => say(e.message, true));
