// The strict-CSP demo's own code (inline script is forbidden there): shows the
// page's policy and counts every policy violation the browser reports.
const meta = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
document.getElementById('policy').textContent = meta?.getAttribute('content') ?? '';

const count = document.getElementById('violations');
const list = document.getElementById('violation-list');
let violations = 0;
document.addEventListener('securitypolicyviolation', (event) => {
  violations++;
  count.value = String(violations);
  const item = document.createElement('li');
  item.textContent = `${event.effectiveDirective} blocked ${event.blockedURI || '(inline)'}`;
  list.append(item);
});
