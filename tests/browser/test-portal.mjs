// SPDX-License-Identifier: GPL-3.0-or-later
//
// The web portal in a real browser against a real simvault-server on
// loopback: Debian's Chromium driven by playwright-core. A card with records
// built here (sim-records.mjs) is registered through the protocol; then the
// owner logs in, searches, edits, adds and deletes contacts, deletes a
// message, creates a restore code, downloads the vCard and logs out, and
// every edit is read back through the protocol. The same flow runs on a
// desktop screen, on a 360 px phone screen and in Simplified Chinese.
// Screenshots go to $SV_BUILD_ROOT/tests/browser/screenshots/.
//
// Environment: SV_SERVER (path of simvault-server), SV_CHROMIUM (default
// /usr/lib/chromium/chromium), SV_SOURCE_ROOT, SV_BUILD_ROOT.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { encodeAdn, decodeAdn, decodeAlpha, encodePbr, encodeSmsDeliver, toHex, fromHex } from './sim-records.mjs';

const sourceRoot = process.env.SV_SOURCE_ROOT || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const buildRoot = process.env.SV_BUILD_ROOT || path.join(sourceRoot, 'build');
const serverPath = process.env.SV_SERVER || path.join(buildRoot, 'sync/server/simvault-server');
const chromiumPath = process.env.SV_CHROMIUM || '/usr/lib/chromium/chromium';
const shotDir = path.join(buildRoot, 'tests/browser/screenshots');

// Why the suite cannot run here, if it cannot: a missing browser or
// playwright-core is a skip with the reason, never a pass.
let skipReason = null;
let chromium = null;
try {
  const require = createRequire(path.join(sourceRoot, 'package.json'));
  ({ chromium } = require('playwright-core'));
} catch (e) {
  skipReason = 'playwright-core is not installed (build-aux/install-deps.sh runs npm ci)';
}
if (!skipReason && !fs.existsSync(chromiumPath))
  skipReason = `no Chromium at ${chromiumPath} (Debian package chromium)`;
if (!skipReason && !fs.existsSync(serverPath))
  skipReason = `no simvault-server at ${serverPath}`;

const ADN_RECORD_LEN = 46;       // 32 bytes of alpha: 32 GSM characters
const ADN_RECORDS = 30;
const PASSWORD = 'correct horse 7';
const SHOP = 'shop-nanjing-road';
const SHOP_PASSWORD = 'counter password 9';
let phoneCounter = 0;
let iccidCounter = 0;

let baseUrl = null;
let browser = null;

/* simvault-server on 127.0.0.1 port 0 with a fresh data directory; the base
 * URL is the first http:// URL it prints. */
async function startServer () {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-portal-'));
  const env = Object.assign({}, process.env, { SIMVAULT_SERVER_PASSWORD_COST: 'test-only' });
  // A shop's staff account, for the audit log the owner reads.
  fs.writeFileSync(path.join(dataDir, 'staff-password'), `${SHOP_PASSWORD}\n`, { mode: 0o600 });
  const staff = spawnSync(serverPath, ['--data-dir', dataDir, '--password-file',
                                       path.join(dataDir, 'staff-password'), 'staff', 'add', SHOP],
                          { env, encoding: 'utf8' });
  assert.equal(staff.status, 0, `staff add: ${staff.stderr}`);
  const args = (process.env.SV_SERVER_ARGS ||
                `--listen 127.0.0.1 --port 0 --data-dir ${dataDir}`).split(' ');
  const child = spawn(serverPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server printed no URL in 20 s; stderr: ${stderr}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(https?:\/\/[^\s"']+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].endsWith('/') ? m[1] : `${m[1]}/`);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  child.removeAllListeners('exit');
  return { child, url, dataDir, stderr: () => stderr };
}

async function stopServer (server) {
  if (server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => {
      const timer = setTimeout(() => { server.child.kill('SIGKILL'); resolve(); }, 3000);
      server.child.on('exit', () => { clearTimeout(timer); resolve(); });
    });
  }
  fs.rmSync(server.dataDir, { recursive: true, force: true });
}

async function protocol (method, apiPath, body, token) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined)
    headers['Content-Type'] = 'application/json';
  if (token)
    headers.Authorization = `Bearer ${token}`;
  const response = await fetch(new URL(`api/v1/${apiPath}`, baseUrl), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  return { status: response.status, json, text, headers: response.headers };
}

/* A 2G card (EF_ADN + EF_SMS) registered through the protocol, with its
 * phonebook and two messages backed up. */
async function registerCard (contacts) {
  phoneCounter += 1;
  iccidCounter += 1;
  const phone = `+86138${String(process.pid % 10000).padStart(4, '0')}${String(phoneCounter).padStart(3, '0')}`;
  const iccid = `8986001234567${String(process.pid % 1000).padStart(3, '0')}${String(iccidCounter).padStart(3, '0')}`;
  const reg = await protocol('POST', 'cards/register', {
    phone,
    password: PASSWORD,
    card: {
      iccid,
      imsi: '460001234567890',
      card_type: 'sim',
      counter_a: 1,
      sms_capacity: 10,
      files: [
        { key: 'adn', path: '3F007F106F3A', structure: 'linear-fixed', record_len: ADN_RECORD_LEN, n_records: ADN_RECORDS },
        { key: 'sms', path: '3F007F106F3C', structure: 'linear-fixed', record_len: 176, n_records: 10 },
      ],
    },
  });
  assert.equal(reg.status, 200, `register: ${reg.text}`);
  assert.equal(reg.json.result, 'registered');
  const token = reg.json.session.token;

  const records = contacts.map(([name, number], i) => ({
    file: 'adn', index: i + 1, data: toHex(encodeAdn(name, number, ADN_RECORD_LEN)), base_version: 0,
  }));
  const backup = await protocol('POST', `cards/${iccid}/backup`, {
    batch_id: `11111111-2222-4333-8444-${String(Date.now()).slice(-12)}`,
    mode: 'full',
    files: ['adn'],
    records,
  }, token);
  assert.equal(backup.status, 200, `backup: ${backup.text}`);

  const sms = await protocol('POST', `cards/${iccid}/messages`, {
    batch_id: `22222222-3333-4444-8555-${String(Date.now()).slice(-12)}`,
    messages: [
      { record: toHex(encodeSmsDeliver({ from: '+8613900000001', text: 'See you at 7 <script>alert(2)</script>', time: '2026-12-01T10:15:00Z' })),
        stored_at: '2026-12-01T10:15:00Z' },
      { record: toHex(encodeSmsDeliver({ from: '10086', text: 'Your balance is 42 yuan', time: '2026-12-05T08:00:00Z', read: false })),
        stored_at: '2026-12-05T08:00:00Z' },
      // One message in two records (concatenated SMS, 8-bit reference 0x42).
      { records: [
        toHex(encodeSmsDeliver({ from: '+8613900000002', text: 'The train leaves at nine, ', time: '2026-12-03T07:00:00Z',
                                 concat: { ref: 0x42, total: 2, seq: 1 } })),
        toHex(encodeSmsDeliver({ from: '+8613900000002', text: 'platform 4.', time: '2026-12-03T07:00:00Z',
                                 concat: { ref: 0x42, total: 2, seq: 2 } })),
      ], stored_at: '2026-12-03T07:00:00Z' },
    ],
  }, token);
  assert.equal(sms.status, 200, `messages: ${sms.text}`);
  return { phone, iccid, token, syncToken: backup.json.token };
}

function collectProblems (page) {
  const problems = { dialogs: [], errors: [], console: [] };
  page.on('dialog', async (d) => {
    problems.dialogs.push(d.message());
    await d.dismiss();
  });
  page.on('pageerror', (e) => problems.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error')
      problems.console.push(m.text());
  });
  return problems;
}

async function shot (page, tag, name, { keepToast = false } = {}) {
  fs.mkdirSync(path.join(shotDir, tag), { recursive: true });
  // A toast of an earlier step would hide part of the state shown.
  if (!keepToast && await page.locator('.toast-close').count() > 0)
    await page.locator('.toast-close').click();
  await page.screenshot({ path: path.join(shotDir, tag, `${name}.png`), fullPage: false });
}

/* The portal's strings in the language under test. */
const STRINGS = {
  en: {
    loginFailed: 'Login failed',
    logIn: 'Log In',
    contacts: 'Contacts',
    messages: 'Messages',
    backup: 'Backup',
    account: 'Account',
    tooLong: '2 characters too long for this card',
    loggedOut: 'You have logged out.',
    expired: 'Your session has expired',
    network: 'Cannot reach the SimVault server',
    save: 'Save',
    add: 'Add',
    delete: 'Delete',
    edit: 'Edit',
    contactAdded: 'Contact added',
    contactSaved: 'Contact saved',
    oneOf: '1 of 4 contacts',
    tooMany: /Too many attempts\. Try again in \d+ minutes?\./,
    consent: 'opened your backup with a restore code',
    lastBackup: 'Last backup',
  },
  zh_CN: {
    loginFailed: '登录失败',
    logIn: '登录',
    contacts: '联系人',
    messages: '短信',
    backup: '备份',
    account: '账户',
    tooLong: '超出 2 个字符',
    loggedOut: '您已退出登录。',
    expired: '您的会话已过期',
    network: '无法连接 SimVault 服务器',
    save: '保存',
    add: '添加',
    delete: '删除',
    edit: '编辑',
    contactAdded: '联系人已添加',
    contactSaved: '联系人已保存',
    oneOf: '1 / 4 位联系人',
    tooMany: /尝试次数过多，请在 \d+ 分钟后再试。/,
    consent: '用恢复码打开了您的备份',
    lastBackup: '上次备份',
  },
};

const XSS_NAME = '<img src=x onerror=alert(1)>';

/* Waits until `locator` matches exactly n elements (the page re-renders a
 * list after each change), failing with the last count after `timeout`. */
async function waitForCount (locator, n, timeout = 20000) {
  const end = Date.now() + timeout;
  for (;;) {
    const count = await locator.count();
    if (count === n)
      return;
    if (Date.now() > end)
      assert.equal(count, n, `${locator} count`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/* Runs `body(page)`; on failure saves what the page showed as
 * screenshots/<tag>/failure.png next to the other artifacts. */
async function withFailureShot (page, tag, body) {
  try {
    return await body();
  } catch (e) {
    await shot(page, tag, 'failure', { keepToast: true }).catch(() => {});
    throw e;
  }
}

async function ownerFlow (options) {
  const context = await browser.newContext({
    viewport: options.viewport, locale: options.locale, acceptDownloads: true,
  });
  const page = await context.newPage();
  try {
    return await withFailureShot(page, options.tag, () => ownerFlowIn(context, page, options));
  } finally {
    await context.close();
  }
}

async function ownerFlowIn (context, page, { tag, lang }) {
  const t = STRINGS[lang];
  const card = await registerCard([
    ['Alice Wang', '+8613800138000'],
    ['Bob', '10086'],
    ['王小明', '13912345678'],
    [XSS_NAME, '112'],
  ]);
  const problems = collectProblems(page);

  // The login page; the wrong password first: a generic failure.
  await page.goto(baseUrl);
  await page.locator('input[type=tel]').fill(card.phone);
  await page.locator('input[type=password]').fill('wrong password');
  await page.locator('form button[type=submit]').click();
  const loginError = page.locator('.form-error');
  await loginError.waitFor({ state: 'visible' });
  assert.match(await loginError.textContent(), new RegExp(t.loginFailed));
  assert.equal(await page.locator('html').getAttribute('lang'), lang === 'zh_CN' ? 'zh-CN' : 'en');
  await shot(page, tag, 'login-failed');

  await page.locator('input[type=password]').fill(PASSWORD);
  await page.locator('form button[type=submit]').click();
  const rows = page.locator('.contact-list .contact-row');
  await rows.first().waitFor();
  await waitForCount(rows, 4);
  await shot(page, tag, 'contacts');

  // The session cookie: __Host-, HttpOnly, SameSite=Strict; not readable
  // by the page's scripts.
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === '__Host-sv-session');
  assert.ok(session, `session cookie set: ${JSON.stringify(cookies.map((c) => c.name))}`);
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(session.path, '/');
  assert.equal(await page.evaluate(() => document.cookie.includes('sv-session')), false);

  // A name from the card that looks like HTML is text: no element, no script.
  const xssRow = rows.filter({ hasText: XSS_NAME });
  assert.equal(await xssRow.count(), 1, 'the HTML-like name is shown literally');
  assert.equal(await page.locator('.contact-list img').count(), 0, 'no <img> was created from data');
  assert.deepEqual(problems.dialogs, [], 'no dialog opened');

  // Search from the keyboard: "/" focuses the entry, Escape clears it.
  await page.keyboard.press('/');
  await page.keyboard.type('ali');
  await waitForCount(rows, 1);
  assert.match(await rows.first().textContent(), /Alice Wang/);
  assert.match(await page.locator('.count').textContent(), new RegExp(t.oneOf));
  await page.keyboard.press('Escape');
  await waitForCount(rows, 4);

  // Sort by the position on the card, then by name again.
  await page.locator('.toolbar select').selectOption('position');
  assert.deepEqual(await rows.evaluateAll((r) => r.map((e) => e.dataset.index)), ['1', '2', '3', '4']);
  await page.locator('.toolbar select').selectOption('name');
  if (lang === 'en')
    assert.equal(await rows.evaluateAll((r) => r[r.length - 1].dataset.index), '3', '王小明 sorts last by name');

  // The editor opens and closes from the keyboard too.
  await rows.filter({ hasText: 'Bob' }).locator('button.edit').focus();
  await page.keyboard.press('Enter');
  await page.locator('dialog.contact-dialog').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.name), 'name', 'focus in the name field');
  await page.keyboard.press('Escape');
  await page.locator('dialog.contact-dialog').waitFor({ state: 'detached' });

  // Edit Alice with a name the card cannot hold: the server's reason shows
  // beside the name field; then a valid name is stored.
  const alice = rows.filter({ hasText: 'Alice Wang' });
  await alice.locator('button.edit').click();
  const dialog = page.locator('dialog.contact-dialog');
  await dialog.waitFor();
  const nameInput = dialog.locator('input[name=name]');
  assert.equal(await nameInput.inputValue(), 'Alice Wang');
  const longName = 'Alice Wang-Oppenheimer of Shanghai';   // 34 GSM characters, 32 fit
  await nameInput.fill(longName);
  await dialog.locator('button[type=submit]').click();
  const fieldError = dialog.locator('.field-error').first();
  await fieldError.waitFor({ state: 'visible' });
  const reason = await fieldError.textContent();
  assert.match(reason, new RegExp(t.tooLong), `reason shown: ${reason}`);
  assert.match(reason, /2/, 'the reason says by how much');
  assert.equal(await nameInput.getAttribute('aria-invalid'), 'true');
  assert.ok((await nameInput.getAttribute('aria-describedby')).split(' ').includes(await fieldError.getAttribute('id')),
            'the reason is the field\'s description for screen readers');
  await shot(page, tag, 'edit-does-not-fit');

  await nameInput.fill('Alice Li');
  await dialog.locator('button[type=submit]').click();
  await dialog.waitFor({ state: 'detached' });
  await rows.filter({ hasText: 'Alice Li' }).waitFor();
  assert.match(await page.locator('.toast').textContent(), new RegExp(t.contactSaved));
  // The keyboard focus is back on the edited row's Edit button.
  await page.waitForFunction(() => {
    const row = document.activeElement && document.activeElement.closest('.contact-row');
    return row && row.dataset.index === '1' && document.activeElement.classList.contains('edit');
  });

  // The edit reached the backup: the record at Alice's index changed.
  const changes = await protocol('GET', `cards/${card.iccid}/changes?since=${encodeURIComponent(card.syncToken)}`, undefined, card.token);
  assert.equal(changes.status, 200, changes.text);
  const changed = changes.json.records.filter((r) => r.file === 'adn' && r.index === 1);
  assert.equal(changed.length, 1, `record 1 changed: ${changes.text}`);
  assert.deepEqual(decodeAdn(fromHex(changed[0].data)), { name: 'Alice Li', number: '+8613800138000' });

  // Add a contact, then delete it.
  await page.locator('#add-contact').click();
  await dialog.waitFor();
  await dialog.locator('input[name=name]').fill('Carol');
  await dialog.locator('input[name=number]').fill('+8613700000003');
  await dialog.locator('button[type=submit]').click();
  await dialog.waitFor({ state: 'detached' });
  const carol = rows.filter({ hasText: 'Carol' });
  await carol.waitFor();
  await waitForCount(rows, 5);
  let listed = await protocol('GET', `cards/${card.iccid}/contacts`, undefined, card.token);
  assert.ok(listed.json.contacts.some((c) => c.name === 'Carol' && c.number === '+8613700000003'), listed.text);

  await carol.locator('button.delete').click();
  await carol.waitFor({ state: 'detached' });
  await waitForCount(rows, 4);
  listed = await protocol('GET', `cards/${card.iccid}/contacts`, undefined, card.token);
  assert.ok(!listed.json.contacts.some((c) => c.name === 'Carol'), listed.text);

  // A forged state change without the CSRF token, with the session cookie:
  // rejected, and nothing deleted.
  const bob = listed.json.contacts.find((c) => c.name === 'Bob');
  const forged = await page.evaluate(async ([iccid, set, index]) => {
    const r = await fetch(`api/v1/cards/${iccid}/contacts/${set}/${index}`, { method: 'DELETE', credentials: 'same-origin' });
    return { status: r.status, body: await r.text() };
  }, [card.iccid, bob.set, bob.index]);
  assert.equal(forged.status, 403, forged.body);
  assert.equal(JSON.parse(forged.body).error.code, 'csrf');
  listed = await protocol('GET', `cards/${card.iccid}/contacts`, undefined, card.token);
  assert.ok(listed.json.contacts.some((c) => c.name === 'Bob'), 'Bob survived the forged request');

  // Messages: listed, searched, one deleted after a confirmation.
  await page.locator('nav a[href="#/messages"]').click();
  const messageRows = page.locator('.message-list .message-row');
  await messageRows.first().waitFor();
  await waitForCount(messageRows, 3);
  assert.equal(await messageRows.filter({ hasText: '<script>alert(2)</script>' }).count(), 1, 'message text shown as text');
  assert.equal(await messageRows.filter({ hasText: 'The train leaves at nine, platform 4.' }).count(), 1,
               'the two parts are shown as one message');
  assert.equal(await page.locator('.message-list script').count(), 0);
  await shot(page, tag, 'messages');
  await page.locator('input[type=search]').fill('balance');
  await waitForCount(messageRows, 1);
  await messageRows.first().locator('button.delete').click();
  const confirm = page.locator('dialog.message-dialog');
  await confirm.waitFor();
  await confirm.locator('button.destructive').click();
  await page.locator('.message-list .placeholder').waitFor();
  const messages = await protocol('GET', `cards/${card.iccid}/messages`, undefined, card.token);
  assert.equal(messages.json.messages.length, 2, messages.text);
  await page.locator('input[type=search]').fill('');

  // Backup state and the vCard download.
  await page.locator('nav a[href="#/backup"]').click();
  await page.locator('#download-vcard').waitFor();
  await shot(page, tag, 'backup');
  // The card was backed up: the server's last_backup, not "last change".
  const cardInfo = await protocol('GET', `cards/${card.iccid}`, undefined, card.token);
  assert.ok(cardInfo.json.last_backup, cardInfo.text);
  await page.getByText(t.lastBackup, { exact: true }).first().waitFor();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#download-vcard').click(),
  ]);
  const vcard = fs.readFileSync(await download.path(), 'utf8');
  assert.match(vcard, /BEGIN:VCARD/);
  assert.match(vcard, /Alice Li/);
  assert.doesNotMatch(vcard, /Carol/);
  const [csvDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#download-csv').click(),
  ]);
  const csv = fs.readFileSync(await csvDownload.path(), 'utf8');
  assert.match(csv, /Alice Li/);
  assert.match(csv, /王小明/);

  // A one-time restore code for a shop.
  await page.locator('nav a[href="#/account"]').click();
  await page.locator('#create-restore-code').click();
  const code = page.locator('#restore-code-value');
  await code.waitFor();
  const restoreCode = (await code.textContent()).trim();
  assert.ok(restoreCode.length >= 6, 'a restore code is shown');

  // A shop uses the code (staff session + consent) and reads the backup;
  // the owner sees it in the audit log.
  const staffSession = await protocol('POST', 'staff/session', { name: SHOP, password: SHOP_PASSWORD });
  assert.ok(staffSession.status >= 200 && staffSession.status < 300, staffSession.text);
  const consent = await protocol('POST', 'staff/consents', { phone: card.phone, restore_code: restoreCode },
                                 staffSession.json.token);
  assert.ok(consent.status >= 200 && consent.status < 300, consent.text);
  const shopRead = await protocol('GET', `cards/${card.iccid}/contacts`, undefined, consent.json.token);
  assert.equal(shopRead.status, 200, shopRead.text);
  const reused = await protocol('POST', 'staff/consents', { phone: card.phone, restore_code: restoreCode },
                                staffSession.json.token);
  assert.ok(reused.status >= 400, `a restore code works once: ${reused.status}`);
  await page.locator('nav a[href="#/backup"]').click();
  await page.locator('#download-vcard').waitFor();
  await page.locator('nav a[href="#/account"]').click();
  const auditRows = page.locator('.audit-list .row:not(.placeholder)');
  await auditRows.first().waitFor();
  assert.match(await page.locator('.audit-list').textContent(), new RegExp(SHOP));
  assert.match(await page.locator('.audit-list').textContent(), new RegExp(t.consent));
  await page.locator('#create-restore-code').click();
  await code.waitFor();
  assert.notEqual((await code.textContent()).trim(), restoreCode, 'each code is new');
  await shot(page, tag, 'account');

  // The network fails: a banner says so; Retry after it is back.
  await page.route('**/api/v1/**', (route) => route.abort('internetdisconnected'));
  await page.locator('nav a[href="#/contacts"]').click();
  const banner = page.locator('#banner');
  await banner.waitFor({ state: 'visible' });
  assert.match(await banner.textContent(), new RegExp(t.network));
  await page.unroute('**/api/v1/**');
  await banner.locator('button').click();
  await banner.waitFor({ state: 'hidden' });
  await rows.first().waitFor();

  // Log out: the login page again, and the session is closed on the server.
  await page.locator('#logout-button').click();
  await page.locator('.login-form').waitFor();
  assert.match(await page.locator('.notice').textContent(), new RegExp(t.loggedOut));
  const after = await page.evaluate(async (iccid) => (await fetch(`api/v1/cards/${iccid}/contacts`)).status, card.iccid);
  assert.equal(after, 401, 'the cookie no longer opens the backup');
  await page.reload();
  await page.locator('.login-form').waitFor();
  assert.equal(await page.locator('.contact-list').count(), 0);

  // An expired session (cookie gone) sends the owner back to the login page
  // with a message.
  await page.locator('input[type=tel]').fill(card.phone);
  await page.locator('input[type=password]').fill(PASSWORD);
  await page.locator('form button[type=submit]').click();
  await rows.first().waitFor();
  await context.clearCookies();
  await page.locator('nav a[href="#/messages"]').click();
  await page.locator('.login-form').waitFor();
  assert.match(await page.locator('.notice').textContent(), new RegExp(t.expired));
  await shot(page, tag, 'session-expired');

  assert.deepEqual(problems.dialogs, [], 'no alert() ran');
  assert.deepEqual(problems.errors, [], 'no uncaught error in the page');
  // Chromium logs the aborted requests of the network test and the 401s
  // of the checks above; anything else (a CSP violation) is a failure.
  const unexpected = problems.console.filter((m) =>
    !/Failed to load resource|net::ERR_INTERNET_DISCONNECTED|status of 40[13]/.test(m));
  assert.deepEqual(unexpected, [], 'no console errors (CSP violations)');
  return card;
}

before(async () => {
  if (!skipReason)
    browser = await chromium.launch({ executablePath: chromiumPath });
});

after(async () => {
  if (browser)
    await browser.close();
});

const opts = skipReason ? { skip: skipReason } : {};

/* Each test gets its own server and data directory: the login rate limit
 * (5 failures per client address) of one test must not lock out the next. */
function serverTest (name, body) {
  test(name, opts, async (t) => {
    const server = await startServer();
    baseUrl = server.url;
    try {
      await body(t);
    } catch (e) {
      e.message += `\nserver stderr:\n${server.stderr().slice(-2000)}`;
      throw e;
    } finally {
      await stopServer(server);
    }
  });
}

serverTest('the served page: CSP and content types', async () => {
  const page = await fetch(baseUrl);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') || '', /text\/html/);
  const html = await page.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
  assert.doesNotMatch(html, /<style|\sstyle=/i, 'no inline style');
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handler');
  const csp = page.headers.get('content-security-policy') ||
    (/http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html) || [])[1] || '';
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const js = await fetch(new URL('js/main.js', baseUrl));
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') || '', /javascript/);
  const catalog = await fetch(new URL('i18n/zh_CN.json', baseUrl));
  assert.equal(catalog.status, 200);
  const zh = await catalog.json();
  assert.equal(zh['Log In'], '登录');
  const missing = await fetch(new URL('no-such-file.js', baseUrl));
  assert.equal(missing.status, 404);

  // No module builds HTML from strings: every node is made with
  // createElement and every text goes through textContent.
  const portalDir = path.join(sourceRoot, 'sync/server/portal/js');
  for (const name of fs.readdirSync(portalDir).filter((f) => f.endsWith('.js'))) {
    const served = await (await fetch(new URL(`js/${name}`, baseUrl))).text();
    assert.equal(served, fs.readFileSync(path.join(portalDir, name), 'utf8'), `js/${name} served as in the source`);
    assert.doesNotMatch(served, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function/,
                        `js/${name} builds no HTML from strings`);
  }
});

serverTest('sign up in the portal before any card', async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'en-US' });
  const page = await context.newPage();
  const problems = collectProblems(page);
  await page.goto(baseUrl);
  await page.locator('.login-switch button').click();
  phoneCounter += 1;
  const phone = `+86137${String(process.pid % 10000).padStart(4, '0')}${String(phoneCounter).padStart(3, '0')}`;
  await page.locator('input[type=tel]').fill(phone);
  const pw = page.locator('input[type=password]');
  await pw.nth(0).fill(PASSWORD);
  await pw.nth(1).fill('something else');
  await page.locator('form button[type=submit]').click();
  await page.locator('.form-error').waitFor({ state: 'visible' });
  assert.match(await page.locator('.form-error').textContent(), /do not match/);
  await pw.nth(1).fill(PASSWORD);
  await page.locator('form button[type=submit]').click();
  await page.locator('.status-page').waitFor();
  assert.match(await page.locator('.status-page').textContent(), /No Card Backed Up Yet/);
  await shot(page, 'desktop', 'signed-up');

  // The desktop then registers the first card with that number and password:
  // it joins this account.
  const reg = await protocol('POST', 'cards/register', {
    phone, password: PASSWORD,
    card: { iccid: '89860099887766554433', card_type: 'sim', counter_a: 0, sms_capacity: 10,
            files: [{ key: 'adn', path: '3F007F106F3A', structure: 'linear-fixed', record_len: 28, n_records: 10 }] },
  });
  assert.equal(reg.status, 200, reg.text);
  assert.equal(reg.json.result, 'registered');
  await page.reload();
  await page.locator('#card-select').waitFor();
  assert.match(await page.locator('#card-select').textContent(), /4433/);

  // A new SIM card for the same number: a card change. Both backups are
  // listed, the old one as replaced.
  const change = await protocol('POST', 'cards/register', {
    phone, password: PASSWORD,
    card: { iccid: '89860099887766550011', card_type: 'usim', counter_a: 0, sms_capacity: 10,
            files: [{ key: 'adn', path: '3F007F106F3A', structure: 'linear-fixed', record_len: 28, n_records: 10 }] },
  });
  assert.equal(change.status, 200, change.text);
  assert.equal(change.json.result, 'card-change');
  await page.reload();
  await page.locator('#card-select').waitFor();
  assert.equal(await page.locator('#card-select option').count(), 2);
  await page.locator('nav a[href="#/backup"]').click();
  await page.locator('#download-vcard').waitFor();
  assert.match(await page.locator('main').textContent(), /Replaced by/);
  await shot(page, 'desktop', 'card-change');
  assert.deepEqual(problems.errors, []);
  await context.close();
});

serverTest('owner flow on a desktop screen (English)', async () => {
  await ownerFlow({ tag: 'desktop', viewport: { width: 1100, height: 800 }, locale: 'en-US', lang: 'en' });
});

serverTest('owner flow on a 360 px phone screen', async () => {
  await ownerFlow({ tag: 'phone', viewport: { width: 360, height: 740 }, locale: 'en-GB', lang: 'en' });
});

serverTest('owner flow in Simplified Chinese', async () => {
  await ownerFlow({ tag: 'zh_CN', viewport: { width: 1100, height: 800 }, locale: 'zh-CN', lang: 'zh_CN' });
});

serverTest('a USIM card: e-mail, additional number and second name', async () => {
  // One USIM phonebook set: EF_PBR naming EF_ADN and type 1 EF_ANR,
  // EF_EMAIL (20 bytes) and EF_SNE.
  phoneCounter += 1;
  const phone = `+86136${String(process.pid % 10000).padStart(4, '0')}${String(phoneCounter).padStart(3, '0')}`;
  const iccid = '89860012345678901234';
  const reg = await protocol('POST', 'cards/register', {
    phone, password: PASSWORD,
    card: {
      iccid, card_type: 'usim', counter_a: 0, sms_capacity: 10,
      files: [
        { key: 'pbr', path: '3F007F105F3A4F30', structure: 'linear-fixed', record_len: 64, n_records: 1 },
        { key: 'pb1/adn', path: '3F007F105F3A4F3A', structure: 'linear-fixed', record_len: 30, n_records: 20 },
        { key: 'pb1/anr1', path: '3F007F105F3A4F11', structure: 'linear-fixed', record_len: 15, n_records: 20 },
        { key: 'pb1/email1', path: '3F007F105F3A4F50', structure: 'linear-fixed', record_len: 20, n_records: 20 },
        { key: 'pb1/sne1', path: '3F007F105F3A4F19', structure: 'linear-fixed', record_len: 14, n_records: 20 },
      ],
    },
  });
  assert.equal(reg.status, 200, reg.text);
  const token = reg.json.session.token;
  const backup = await protocol('POST', `cards/${iccid}/backup`, {
    batch_id: '33333333-4444-4555-8666-777777777777',
    mode: 'full',
    files: ['pbr', 'pb1/adn'],
    records: [
      { file: 'pbr', index: 1, data: toHex(encodePbr({ adn: 0x4f3a, anr: 0x4f11, email: 0x4f50, sne: 0x4f19 }, 64)), base_version: 0 },
      { file: 'pb1/adn', index: 1, data: toHex(encodeAdn('Li Lei', '+8613800138000', 30)), base_version: 0 },
    ],
  }, token);
  assert.equal(backup.status, 200, backup.text);

  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'en-US' });
  const page = await context.newPage();
  await withFailureShot(page, 'desktop', async () => {
    await page.goto(baseUrl);
    await page.locator('input[type=tel]').fill(phone);
    await page.locator('input[type=password]').fill(PASSWORD);
    await page.locator('form button[type=submit]').click();
    const row = page.locator('.contact-row').filter({ hasText: 'Li Lei' });
    await row.locator('button.edit').click();
    const dialog = page.locator('dialog.contact-dialog');
    await dialog.waitFor();
    const email = dialog.locator('input[name=emails]');
    await email.fill('li.lei.from.shanghai@example.com');     // 32 characters, 20 fit
    await dialog.locator('input[name=additional_numbers]').fill('10086');
    await dialog.locator('input[name=second_name]').fill('Lei');
    await dialog.locator('button[type=submit]').click();
    const emailError = dialog.locator(`#${await email.getAttribute('id')}-error`);
    await emailError.waitFor({ state: 'visible' });
    assert.match(await emailError.textContent(), /12 characters too long for this card/);
    assert.equal(await email.getAttribute('aria-invalid'), 'true');
    await shot(page, 'desktop', 'usim-email-does-not-fit');
    await email.fill('lilei@example.com');
    await dialog.locator('button[type=submit]').click();
    await dialog.waitFor({ state: 'detached' });
    await row.filter({ hasText: 'lilei@example.com' }).waitFor();

    // The linked records on the server hold the new values (TS 31.102
    // §4.4.2.13: the e-mail coded like an alpha identifier).
    const changes = await protocol('GET', `cards/${iccid}/changes?since=${encodeURIComponent(backup.json.token)}`, undefined, token);
    assert.equal(changes.status, 200, changes.text);
    const emailRecord = changes.json.records.find((r) => r.file === 'pb1/email1' && r.index === 1);
    assert.ok(emailRecord, changes.text);
    assert.equal(decodeAlpha(fromHex(emailRecord.data)), 'lilei@example.com');
    const listed = await protocol('GET', `cards/${iccid}/contacts`, undefined, token);
    assert.deepEqual(listed.json.contacts.map((c) => [c.name, c.additional_numbers, c.emails, c.second_name]),
                     [['Li Lei', ['10086'], ['lilei@example.com'], 'Lei']]);
  });
  await context.close();
});

serverTest('undo a deleted contact, then add into the freed record', async () => {
  const card = await registerCard([['Carol', '+8613700000003'], ['Dan', '4']]);
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await withFailureShot(page, 'desktop', async () => {
    await page.goto(baseUrl);
    await page.locator('input[type=tel]').fill(card.phone);
    await page.locator('input[type=password]').fill(PASSWORD);
    await page.locator('form button[type=submit]').click();
    const rows = page.locator('.contact-list .contact-row');
    await waitForCount(rows, 2);
    const carol = rows.filter({ hasText: 'Carol' });
    await carol.locator('button.delete').click();
    await waitForCount(rows, 1);
    await page.locator('.toast-action').click();
    await carol.waitFor();
    await waitForCount(rows, 2);
    assert.equal(await carol.getAttribute('data-index'), '1', 'back in its own record');
    await rows.filter({ hasText: 'Dan' }).locator('button.delete').click();
    await waitForCount(rows, 1);
    await page.locator('#add-contact').click();
    const dialog = page.locator('dialog.contact-dialog');
    await dialog.locator('input[name=name]').fill('Erin');
    await dialog.locator('button[type=submit]').click();
    await dialog.waitFor({ state: 'detached' });
    await rows.filter({ hasText: 'Erin' }).waitFor();
    assert.equal(await rows.filter({ hasText: 'Erin' }).getAttribute('data-index'), '2', 'into the freed record');
  });
  await context.close();
});

serverTest('dark colour scheme from the system setting', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, colorScheme: 'dark', locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(baseUrl);
  await page.locator('.login-form').waitFor();
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(36, 36, 36)', 'the dark window background of libadwaita');
  await shot(page, 'phone', 'login-dark');
  const card = await registerCard([['Alice Wang', '+8613800138000'], ['Bob', '10086']]);
  await page.locator('input[type=tel]').fill(card.phone);
  await page.locator('input[type=password]').fill(PASSWORD);
  await page.locator('form button[type=submit]').click();
  await page.locator('.contact-row').first().waitFor();
  const fg = await page.evaluate(() => getComputedStyle(document.querySelector('.row-title')).color);
  assert.equal(fg, 'rgb(255, 255, 255)', 'light text on the dark list');
  await shot(page, 'phone', 'contacts-dark');
  await context.close();
});

serverTest('another account cannot reach this card', async () => {
  const victim = await registerCard([['Victim', '123']]);
  const intruder = await registerCard([['Intruder', '456']]);
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(baseUrl);
  await page.locator('input[type=tel]').fill(intruder.phone);
  await page.locator('input[type=password]').fill(PASSWORD);
  await page.locator('form button[type=submit]').click();
  await page.locator('.contact-list').waitFor();
  const result = await page.evaluate(async (iccid) => {
    const read = await fetch(`api/v1/cards/${iccid}/contacts`);
    const csrf = sessionStorage.getItem('sv-portal-csrf');
    const del = await fetch(`api/v1/cards/${iccid}/contacts/0/1`, { method: 'DELETE', headers: { 'X-CSRF-Token': csrf } });
    const dereg = await fetch(`api/v1/cards/${iccid}`, {
      method: 'DELETE', headers: { 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify({ confirm: iccid }),
    });
    return [read.status, del.status, dereg.status];
  }, victim.iccid);
  assert.deepEqual(result, [404, 404, 404]);
  const still = await protocol('GET', `cards/${victim.iccid}/contacts`, undefined, victim.token);
  assert.ok(still.json.contacts.some((c) => c.name === 'Victim'));
  await context.close();
});

serverTest('deregistration names what is deleted', async () => {
  const card = await registerCard([['Zed', '999']]);
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(baseUrl);
  await page.locator('input[type=tel]').fill(card.phone);
  await page.locator('input[type=password]').fill(PASSWORD);
  await page.locator('form button[type=submit]').click();
  await page.locator('.contact-list').waitFor();
  await page.locator('nav a[href="#/backup"]').click();
  await page.locator('#deregister').click();
  const confirm = page.locator('dialog.message-dialog');
  await confirm.waitFor();
  const text = await confirm.textContent();
  assert.match(text, new RegExp(card.iccid));
  assert.match(text, /1 contact\b/);
  assert.match(text, /3 messages/);
  await shot(page, 'desktop', 'deregister-confirm');
  await confirm.locator('button.destructive').click();
  await page.locator('.status-page').waitFor();
  const gone = await protocol('GET', `cards/${card.iccid}`, undefined, card.token);
  assert.equal(gone.status, 404);
  await context.close();
});

serverTest('change the password', async () => {
  const card = await registerCard([['Pat', '5']]);
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(baseUrl);
  await page.locator('input[type=tel]').fill(card.phone);
  await page.locator('input[type=password]').fill(PASSWORD);
  await page.locator('form button[type=submit]').click();
  await page.locator('.contact-list').waitFor();
  await page.locator('nav a[href="#/account"]').click();
  const form = page.locator('form.boxed');
  await form.waitFor();
  const inputs = form.locator('input[type=password]');
  await inputs.nth(0).fill('not the password');
  await inputs.nth(1).fill('a new password 8');
  await inputs.nth(2).fill('a new password 8');
  await form.locator('button[type=submit]').click();
  await form.locator('.form-error').waitFor({ state: 'visible' });
  assert.match(await form.locator('.form-error').textContent(), /current password is not correct/);
  await inputs.nth(0).fill(PASSWORD);
  await form.locator('button[type=submit]').click();
  await page.locator('.toast').waitFor();
  assert.match(await page.locator('.toast').textContent(), /Password changed/);
  const oldLogin = await protocol('POST', 'session', { phone: card.phone, password: PASSWORD });
  assert.equal(oldLogin.status, 401);
  const newLogin = await protocol('POST', 'session', { phone: card.phone, password: 'a new password 8' });
  assert.equal(newLogin.status, 200, newLogin.text);
  await context.close();
});

serverTest('login rate limit shown as such', async () => {
  const card = await registerCard([['Rate', '1']]);
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(baseUrl);
  const error = page.locator('.form-error');
  let message = '';
  for (let i = 0; i < 8 && !STRINGS.en.tooMany.test(message); i++) {
    await page.locator('input[type=tel]').fill(card.phone);
    await page.locator('input[type=password]').fill(`wrong ${i}`);
    await page.locator('form button[type=submit]').click();
    await error.waitFor({ state: 'visible' });
    await page.waitForFunction(() => !document.querySelector('form button[type=submit]').disabled);
    message = await error.textContent();
  }
  assert.match(message, STRINGS.en.tooMany);
  await shot(page, 'desktop', 'rate-limited');
  await context.close();
});
