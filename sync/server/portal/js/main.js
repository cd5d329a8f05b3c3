// SPDX-License-Identifier: GPL-3.0-or-later
//
// The SimVault web portal (seed flow 7): the card owner logs in with the
// phone number and password, and sees and edits the backed-up phonebook
// and messages of each card. Plain ES modules, no framework, no build step;
// every byte of data comes from the JSON protocol of simvault-server.

import { _, initI18n } from './i18n.js';
import { h, replace, icon } from './dom.js';
import { api, setCsrf, restoreCsrf, onUnauthenticated, NetworkError } from './api.js';
import { renderLogin, networkMessage } from './login.js';
import { toast, showBanner, hideBanner, dismissToast, spinnerPage, statusPage } from './ui.js';
import { renderContacts } from './contacts.js';
import { renderMessages } from './messages.js';
import { renderBackup } from './backup.js';
import { renderAccount } from './account.js';
import { cardLabel } from './format.js';

const CARD_KEY = 'sv-portal-card';

const state = {
  phone: null,
  cards: [],
  iccid: null,       // the selected card
  loggedIn: false,
};

const VIEWS = {
  contacts: { title: () => _('Contacts'), icon: 'contacts', render: renderContacts, needsCard: true },
  messages: { title: () => _('Messages'), icon: 'messages', render: renderMessages, needsCard: true },
  backup: { title: () => _('Backup'), icon: 'backup', render: renderBackup, needsCard: false },
  account: { title: () => _('Account'), icon: 'account', render: renderAccount, needsCard: false },
};

function main () {
  return document.getElementById('main');
}

function currentView () {
  const m = /^#\/([a-z]+)/.exec(location.hash);
  return m && VIEWS[m[1]] ? m[1] : 'contacts';
}

/* Everything a view needs from the app. */
function context () {
  return {
    state,
    card: () => state.cards.find((c) => c.iccid === state.iccid) || null,
    reloadCards,
    logOut,
    handleError,
    navigate: (view) => {
      if (currentView() === view)
        render();
      else
        location.hash = `#/${view}`;
    },
  };
}

/* One place for failures that are not a field's: network, server. */
function handleError (error) {
  if (error instanceof NetworkError) {
    showBanner(networkMessage(), { label: _('Retry'), run: () => { hideBanner(); render(); } });
    return;
  }
  if (error && error.status === 401)
    return;   // handled by the unauthenticated handler: back to login
  if (error && error.code === 'not-found') {
    toast(_('This item no longer exists on the server.'));
    return;
  }
  if (error && error.code === 'csrf') {
    toast(_('The page is out of date. Reload it and try again.'));
    return;
  }
  toast(error && error.message ? error.message : _('Something went wrong on the server. Try again later.'));
}

async function reloadCards () {
  const answer = await api.cards();
  state.cards = Array.isArray(answer.cards) ? answer.cards : [];
  let saved = null;
  try {
    saved = sessionStorage.getItem(CARD_KEY);
  } catch (e) {
    saved = null;
  }
  if (!state.cards.some((c) => c.iccid === state.iccid))
    state.iccid = null;
  if (!state.iccid && saved && state.cards.some((c) => c.iccid === saved))
    state.iccid = saved;
  if (!state.iccid && state.cards.length > 0) {
    // The current card: one that no other card replaced.
    const current = state.cards.find((c) => !c.replaced_by) || state.cards[0];
    state.iccid = current.iccid;
  }
  renderHeader();
}

function selectCard (iccid) {
  state.iccid = iccid;
  try {
    sessionStorage.setItem(CARD_KEY, iccid);
  } catch (e) {
    // not remembered across reloads: harmless
  }
  render();
}

function renderHeader () {
  const header = document.getElementById('headerbar');
  const start = h('div', { class: 'headerbar-start' },
    h('img', { class: 'header-logo', src: 'icons/simvault.svg', alt: '', width: 24, height: 24 }),
    h('span', { class: 'header-title' }, 'SimVault'));

  if (!state.loggedIn) {
    replace(header, start);
    document.getElementById('nav').hidden = true;
    return;
  }

  const end = h('div', { class: 'headerbar-end' });
  if (state.cards.length > 0) {
    const select = h('select', {
      id: 'card-select',
      'aria-label': _('Card'),
      title: _('Card'),
      onchange: (e) => selectCard(e.target.value),
    }, state.cards.map((c) => h('option', { value: c.iccid, selected: c.iccid === state.iccid }, cardLabel(c))));
    end.appendChild(select);
  }
  end.appendChild(h('span', { class: 'header-phone dim', title: _('Logged in as') }, state.phone || ''));
  end.appendChild(h('button', {
    type: 'button',
    class: 'flat',
    id: 'logout-button',
    title: _('Log Out'),
    'aria-label': _('Log Out'),
    onclick: () => logOut(),
  }, icon('logout'), h('span', { class: 'button-label' }, _('Log Out'))));
  replace(header, start, end);

  const nav = document.getElementById('nav');
  const view = currentView();
  replace(nav, h('ul', { class: 'view-switcher' },
    Object.entries(VIEWS).map(([name, v]) => h('li', null,
      h('a', {
        href: `#/${name}`,
        class: name === view ? 'active' : null,
        'aria-current': name === view ? 'page' : null,
      }, icon(v.icon), h('span', null, v.title()))))));
  nav.setAttribute('aria-label', _('Sections'));
  nav.hidden = false;
}

let renderSerial = 0;

async function render () {
  if (!state.loggedIn)
    return;
  const serial = ++renderSerial;
  const name = currentView();
  const view = VIEWS[name];
  renderHeader();
  document.title = `${view.title()} – SimVault`;
  const container = main();

  if (view.needsCard && !state.iccid) {
    container.replaceChildren(statusPage('sim', _('No Card Backed Up Yet'),
      _('Back up your SIM card with the SimVault desktop app, using this phone number and password. Its contacts and messages then appear here.')));
    return;
  }
  container.replaceChildren(spinnerPage(_('Loading…')));
  try {
    await view.render(container, context(), () => serial === renderSerial);
    hideBanner();
  } catch (e) {
    // A 401 has already replaced the page with the login form.
    if (serial === renderSerial && state.loggedIn) {
      container.replaceChildren();
      handleError(e);
    }
  }
}

function showLogin (notice, noticeKind) {
  state.loggedIn = false;
  state.phone = null;
  state.cards = [];
  state.iccid = null;
  setCsrf(null);
  dismissToast();
  renderHeader();
  if (location.hash && location.hash.startsWith('#/'))
    history.replaceState(null, '', location.pathname + location.search);
  renderLogin(main(), { mode: 'login', notice, noticeKind, onLoggedIn: loggedIn });
}

async function loggedIn (session) {
  setCsrf(session.csrf || restoreCsrf());
  state.phone = session.phone || state.phone;
  state.loggedIn = true;
  try {
    await reloadCards();
  } catch (e) {
    handleError(e);
  }
  if (!location.hash.startsWith('#/'))
    history.replaceState(null, '', '#/contacts');
  await render();
  const heading = main().querySelector('h1');
  if (heading)
    heading.focus();
}

async function logOut () {
  try {
    await api.logOut();
  } catch (e) {
    if (e instanceof NetworkError) {
      handleError(e);
      return;
    }
    // 401: already logged out on the server; go on.
  }
  try {
    sessionStorage.removeItem(CARD_KEY);
  } catch (e) {
    // nothing stored
  }
  showLogin(_('You have logged out.'));
}

onUnauthenticated(() => {
  if (state.loggedIn)
    showLogin(_('Your session has expired. Log in again to continue.'), 'warning');
});

async function boot () {
  await initI18n();
  document.getElementById('skip-link').textContent = _('Skip to content');
  document.getElementById('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    main().focus();
  });
  document.getElementById('banner').setAttribute('aria-label', _('Problems'));

  // "/" focuses the search of the list shown, as in many web apps; Escape
  // in a search entry clears it.
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
      target instanceof HTMLSelectElement;
    if (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      const search = main().querySelector('input[type=search]');
      if (search) {
        event.preventDefault();
        search.focus();
      }
    } else if (event.key === 'Escape' && target instanceof HTMLInputElement &&
               target.type === 'search' && target.value !== '') {
      event.preventDefault();
      target.value = '';
      target.dispatchEvent(new Event('input'));
    }
  });

  window.addEventListener('hashchange', () => {
    if (state.loggedIn) {
      render().then(() => {
        const heading = main().querySelector('h1');
        if (heading)
          heading.focus();
      });
    }
  });

  let session = null;
  try {
    session = await api.session();
  } catch (e) {
    if (e instanceof NetworkError) {
      showLogin();
      showBanner(networkMessage(), { label: _('Retry'), run: () => location.reload() });
      return;
    }
    session = null;
  }
  if (session && session.kind === 'owner') {
    session.csrf = session.csrf || restoreCsrf();
    await loggedIn(session);
  } else if (restoreCsrf()) {
    // This tab was logged in, and the server no longer knows the session.
    showLogin(_('Your session has expired. Log in again to continue.'), 'warning');
  } else {
    showLogin();
  }
}

boot();
