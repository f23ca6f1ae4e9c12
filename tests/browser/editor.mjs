// Browser test of an editor's correction: sign in, give a turn of the seed to another speaker
// in the reading view, see the change in the reading view and on both persons' pages, put it
// back, sign out. Playwright (playwright-core) drives Debian's chromium against $OPIS_URL; the
// account is made by tests/clients/run-editor with `opis user add` (name and password in
// OPIS_EDITOR_NAME / OPIS_EDITOR_PASSWORD). Which turn and which speakers are read from the seed
// in $OPIS_SHARED: the turn the seed gives to Saburov ("Cde. Saburov: Agrees …"), reassigned
// to Suslov, whom the seed names but never as a speaker. Exits non-zero on a failed check.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const need = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`editor browser test: ${name} is not set (run it through scripts/client-tests editor)`);
    process.exit(2);
  }
  return v;
};
const BASE = need("OPIS_URL").replace(/\/$/, "");
const SHARED = need("OPIS_SHARED");
const SHOTS = path.join(need("OPIS_ARTIFACTS"), "screenshots");
const NAME = need("OPIS_EDITOR_NAME");
const PASSWORD = need("OPIS_EDITOR_PASSWORD");
fs.mkdirSync(SHOTS, { recursive: true });

const seedText = fs.readFileSync(path.join(SHARED, "seed/presidium-1956-10-30.txt"), "utf8");
const id = "wilson-" + seedText.match(/\/document\/(\d+)/)[1];
const FROM = "Saburov";
const TO = "Suslov";
if (!/Cde\. Saburov: Agrees/.test(seedText)) throw new Error("the seed no longer has Saburov's turn");
if (!seedText.includes(TO)) throw new Error(`the seed does not name ${TO}`);

let failed = 0;
let passed = 0;
function check(ok, what) {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
}

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await (await browser.newContext()).newPage();

  // Sign in.
  await page.goto(`${BASE}/signin`);
  await page.fill("#signin-name", NAME);
  await page.fill("#signin-password", PASSWORD);
  await Promise.all([page.waitForURL(`${BASE}/`), page.click("form.signin button[type=submit]")]);
  check((await page.textContent("header.site")).includes(`${NAME} (editor)`), "signed in: the header names the editor");
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "opis_session");
  check(session && session.httpOnly && session.sameSite === "Strict", "the session cookie is HttpOnly and SameSite=Strict");

  // The turn Saburov speaks in the reading view.
  await page.goto(`${BASE}/doc/${id}`);
  const turnIds = await page.$$eval("div.turn", (els) =>
    els.map((e) => ({ id: e.id, who: [...e.querySelectorAll(".speaker .who")].map((a) => a.textContent.trim()) })),
  );
  const target = turnIds.find((t) => t.who.length === 1 && t.who[0] === FROM);
  check(!!target, `the reading view has a turn of ${FROM}`);
  const n = Number(target.id.replace("turn-", ""));
  const link = `/doc/${id}#turn-${n}`;
  const personHas = async (name) => {
    await page.goto(`${BASE}/person/${encodeURIComponent(name)}`);
    return (await page.$$eval(`a[href="${link}"]`, (as) => as.length)) > 0;
  };
  check(await personHas(FROM), `${FROM}'s page lists the turn before the correction`);
  check(!(await personHas(TO)), `${TO}'s page does not, before the correction`);

  async function correct(speakers, reason) {
    await page.goto(`${BASE}/doc/${id}`);
    const form = page.locator(`#turn-${n} + details.correct`);
    await form.locator("summary").click();
    await form.locator(`#speakers-${n}`).fill(speakers);
    await form.locator(`#reason-${n}`).fill(reason);
    if (!shotForms) {
      // The open correction box: speakers, split, merge.
      await form.screenshot({ path: path.join(SHOTS, "editor-turn-forms.png") });
      shotForms = true;
    }
    const speakersForm = form.locator("form:has(input[name=op][value=set_speakers])");
    await Promise.all([page.waitForURL(`${BASE}/doc/${id}`), speakersForm.locator("button[type=submit]").click()]);
  }
  let shotForms = false;
  await correct(TO, "browser test: reassigning a turn");
  // The document's own correction box: a field, a heading, any patch as JSON.
  await page.locator("#correct-document summary").click();
  await page.locator("#correct-document").screenshot({ path: path.join(SHOTS, "editor-document-forms.png") });
  const speakerNow = await page.textContent(`#turn-${n} .speaker`);
  check(speakerNow.includes(TO) && !speakerNow.includes(FROM), `the reading view gives the turn to ${TO}`);
  await page.screenshot({ path: path.join(SHOTS, "editor-corrected-turn.png"), fullPage: false });
  check(await personHas(TO), `${TO}'s page lists the turn after the correction`);
  check(!(await personHas(FROM)), `${FROM}'s page no longer does`);
  await page.screenshot({ path: path.join(SHOTS, "editor-person-page.png") });

  // Anonymous readers see the correction too, and no correction form.
  const anon = await (await browser.newContext()).newPage();
  await anon.goto(`${BASE}/doc/${id}`);
  check((await anon.textContent(`#turn-${n} .speaker`)).includes(TO), "an anonymous reader sees the corrected speaker");
  check((await anon.$$("details.correct")).length === 0, "an anonymous reader gets no correction form");

  // Put it back (a second correction), so the other client tests read the seed as parsed.
  await correct(FROM, "browser test: restoring the parsed speaker");
  check((await page.textContent(`#turn-${n} .speaker`)).includes(FROM), "the turn is given back");

  // Sign out.
  await page.goto(`${BASE}/`);
  await Promise.all([page.waitForURL(`${BASE}/`), page.click("form.account button[type=submit]")]);
  const header = await page.textContent("header.site");
  check(header.includes("Sign in") && !header.includes(NAME), "signed out");
  await page.goto(`${BASE}/doc/${id}`);
  check((await page.$$("details.correct")).length === 0, "after signing out the form is gone");
} catch (e) {
  failed++;
  console.log(`FAIL ${e.stack || e}`);
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
