import type { AuditEntry } from '@gw/audit';
import type { CategoryListing } from '@gw/category-cache';
import type { DashboardFigures, DashboardWindow, RouteTotals, ShareBucket } from './dashboard-model.ts';
import { esc, money, percent } from './html.ts';

export interface DashboardPage {
  stackIds: string[];
  stackId: string | undefined;
  window: DashboardWindow;
  figures: DashboardFigures | undefined;
  /** Why the figures are missing (the audit store failed), fixed text. */
  figuresError?: string;
  categories: CategoryListing[] | undefined;
  categoriesError?: string;
  search?: { wamid: string; entry: AuditEntry | undefined; error?: string };
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1b1b}h1{margin:.2rem 0}h2{margin-top:1.8rem;font-size:1.15rem}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #ccc;padding:.25rem .55rem;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
form{display:inline-block;margin:.3rem 1rem .3rem 0}input,select,button{font-size:.95rem;padding:.25rem}.mm{fill:#2e7d32}.cloud{fill:#1565c0}
.key span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}.note{color:#666}.error{color:#b00020}nav a{margin-right:1rem}`;

const totalsCells = (totals: RouteTotals, route: string) =>
  `<td data-cell="${route}-sends">${totals.sends}</td><td data-cell="${route}-delivered">${percent(totals.deliveredRate)}</td><td data-cell="${route}-read">${percent(totals.readRate)}</td><td data-cell="${route}-clicked">${percent(totals.clickRate)}</td><td>${money(totals.cost)}</td>`;

/** Route share over time as stacked bars (MM under Cloud), inline SVG: no script, no build. */
function shareChart(share: ShareBucket[]): string {
  if (share.length === 0) return '<p class="note">No sends in this window.</p>';
  const width = 720;
  const height = 160;
  const max = Math.max(1, ...share.map((b) => b.mm + b.cloud));
  const barWidth = width / share.length;
  const bars = share
    .map((b, i) => {
      const x = (i * barWidth + 1).toFixed(1);
      const w = Math.max(barWidth - 2, 1).toFixed(1);
      const mmHeight = (b.mm / max) * height;
      const cloudHeight = (b.cloud / max) * height;
      const title = `${b.bucket}: MM ${b.mm}, Cloud ${b.cloud}`;
      return `<g><title>${esc(title)}</title><rect class="mm" x="${x}" y="${(height - mmHeight).toFixed(1)}" width="${w}" height="${mmHeight.toFixed(1)}"/><rect class="cloud" x="${x}" y="${(height - mmHeight - cloudHeight).toFixed(1)}" width="${w}" height="${cloudHeight.toFixed(1)}"/></g>`;
    })
    .join('');
  const first = share[0]!.bucket;
  const last = share[share.length - 1]!.bucket;
  return `<svg role="img" aria-label="Route share over time" width="${width}" height="${height + 20}" viewBox="0 0 ${width} ${height + 20}">${bars}<text x="0" y="${height + 15}" font-size="11">${esc(first)}</text><text x="${width}" y="${height + 15}" font-size="11" text-anchor="end">${esc(last)}</text></svg>
<p class="key"><span style="background:#2e7d32"></span>MM<span style="background:#1565c0"></span>Cloud</p>`;
}

function figuresSection(page: DashboardPage): string {
  if (page.figuresError) return `<p class="error" role="alert">${esc(page.figuresError)}</p>`;
  const figures = page.figures;
  if (!figures) return '';
  const all = figures.totals.mm + figures.totals.cloud;
  const shareOfMm = all === 0 ? 0 : figures.totals.mm / all;
  const fallbackRows = figures.fallbacks.map((f) => `<tr data-reason="${esc(f.reason)}"><td>${esc(f.reason)}</td><td>${f.count}</td></tr>`).join('');
  const templateRows = figures.templates
    .map((t) => `<tr data-template="${esc(t.template)}"><td>${esc(t.template)}</td>${totalsCells(t.mm, 'mm')}${totalsCells(t.cloud, 'cloud')}</tr>`)
    .join('');
  return `<h2>Route share over time</h2>
<p>MM <strong data-total="mm">${figures.totals.mm}</strong> · Cloud <strong data-total="cloud">${figures.totals.cloud}</strong> · MM share <strong data-total="share">${percent(shareOfMm)}</strong></p>
${shareChart(figures.share)}
<h2>Fallback reasons</h2>
${fallbackRows ? `<table id="fallbacks"><tr><th>reason</th><th>Cloud sends</th></tr>${fallbackRows}</table>` : '<p class="note">No fallbacks in this window.</p>'}
<h2>Delivery, read and click rates per template: MM against Cloud</h2>
${
  templateRows
    ? `<table id="templates"><tr><th rowspan="2">template</th><th colspan="5">MM</th><th colspan="5">Cloud</th></tr><tr><th>sends</th><th>delivered</th><th>read</th><th>clicked</th><th>cost</th><th>sends</th><th>delivered</th><th>read</th><th>clicked</th><th>cost</th></tr>${templateRows}</table>`
    : '<p class="note">No template sends in this window.</p>'
}`;
}

function categoriesSection(page: DashboardPage): string {
  if (page.categoriesError) return `<h2>Category cache</h2><p class="error">${esc(page.categoriesError)}</p>`;
  const listing = page.categories ?? [];
  const rows = listing
    .map(
      (c) =>
        `<tr data-category="${esc(`${c.name}:${c.language}`)}"><td>${esc(c.name)}</td><td>${esc(c.language)}</td><td>${esc(c.category)}</td><td>${esc(c.source)}</td><td>${esc(c.expiresAt)}</td></tr>`,
    )
    .join('');
  return `<h2>Category cache</h2>${
    rows
      ? `<table id="categories"><tr><th>template</th><th>language</th><th>category</th><th>learned from</th><th>expires</th></tr>${rows}</table>`
      : '<p class="note">The cache knows no template of this stack yet.</p>'
  }`;
}

function entrySection(search: NonNullable<DashboardPage['search']>): string {
  if (search.error) return `<p class="error" role="alert">${esc(search.error)}</p>`;
  const entry = search.entry;
  if (!entry) return `<p class="note" id="audit-none">No audit entry for ${esc(search.wamid)} in this stack.</p>`;
  const calls = entry.calls.map((c) => `<tr><td>${esc(c.endpoint)}</td><td>${c.status}</td><td>${c.durationMs}</td><td>${esc(c.errorCode ?? '')}</td></tr>`).join('');
  const statuses = entry.statuses
    .map(
      (s) =>
        `<tr data-status="${esc(s.status)}"><td>${esc(s.status)}</td><td>${esc(s.receivedAt)}</td><td>${esc(s.pricing ? JSON.stringify(s.pricing) : '')}</td><td>${esc(s.errors ? JSON.stringify(s.errors) : '')}</td></tr>`,
    )
    .join('');
  return `<div id="audit-entry"><p>Route <strong data-field="route">${esc(entry.route)}</strong>, reason <strong data-field="reason">${esc(entry.reason)}</strong>${
    entry.mmErrorCode === undefined ? '' : `, MM error <strong data-field="mmErrorCode">${entry.mmErrorCode}</strong>`
  }, template ${esc(entry.template ?? '(none)')}, sent ${esc(entry.sentAt)}${entry.idempotencyKey ? `, idempotency key ${esc(entry.idempotencyKey)}` : ''}.</p>
<table><tr><th>call</th><th>HTTP</th><th>ms</th><th>Meta error</th></tr>${calls}</table>
<table><tr><th>status</th><th>received</th><th>pricing</th><th>errors</th></tr>${statuses}</table>
<p>${entry.clicks.length} click(s).</p></div>`;
}

/** The whole page; every dynamic value is escaped. */
export function renderDashboard(page: DashboardPage): string {
  const options = page.stackIds.map((id) => `<option value="${esc(id)}"${id === page.stackId ? ' selected' : ''}>${esc(id)}</option>`).join('');
  const stackField = `<input type="hidden" name="stack" value="${esc(page.stackId ?? '')}">`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Routing dashboard</title><style>${STYLE}</style></head><body>
<nav><a href="/admin/dashboard">Routing dashboard</a><a href="/admin/queues">Bull Board</a></nav>
<h1>Routing dashboard</h1>
<form method="get" action="/admin/dashboard"><label>Stack <select name="stack">${options}</select></label>
<label>Last <input name="hours" type="number" min="1" max="2160" value="${page.window.hours}" size="5"> hours</label> <button type="submit">Show</button></form>
<p class="note">${esc(new Date(page.window.from).toISOString())} to ${esc(new Date(page.window.to).toISOString())}, by ${page.window.granularity}.</p>
${
  page.stackId === undefined
    ? '<p class="note">No stack is configured.</p>'
    : `${figuresSection(page)}
${categoriesSection(page)}
<h2>Message audit</h2>
<form method="get" action="/admin/dashboard">${stackField}<input type="hidden" name="hours" value="${page.window.hours}"><label>wamid <input id="wamid" name="wamid" value="${esc(page.search?.wamid ?? '')}" size="48"></label> <button type="submit">Search</button></form>
${page.search ? entrySection(page.search) : ''}`
}
</body></html>`;
}
