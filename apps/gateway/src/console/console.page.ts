/**
 * The console's page: markup and style only; console.script.ts fills it. Served at /console/
 * as is, so no build step stands between this text and the browser.
 */
export const CONSOLE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Fopflow console</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0 2rem 2rem; color: #222; }
  header { display: flex; gap: 1.5rem; align-items: baseline; border-bottom: 1px solid #ddd; }
  header h1 { font-size: 1.3rem; }
  h2 { font-size: 1.1rem; margin-top: 2rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
  th { font-weight: 600; color: #555; }
  .pools { display: grid; grid-template-columns: repeat(auto-fill, minmax(28rem, 1fr)); gap: 1rem; }
  .pool { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 1rem; }
  .pool h3 { margin: 0.3rem 0; font-size: 1rem; }
  .chart { width: 100%; height: 120px; background: #fafafa; }
  .legend span { margin-right: 1rem; }
  .axis { color: #888; font-size: 12px; }
  .bar { display: inline-block; width: 80px; height: 8px; background: #eee; margin-right: 4px; }
  .bar i { display: block; height: 100%; background: #3a7; }
  .state-done { color: #272; } .state-failed, .state-callback-failed { color: #b22; }
  .state-processing { color: #a60; } .state-waiting { color: #557; }
  pre.log { background: #111; color: #ddd; padding: 0.5rem; max-height: 20rem; overflow: auto; }
  #status { color: #888; margin-left: auto; }
</style>
</head>
<body>
<header>
  <h1>Fopflow console</h1>
  <a href="/admin/queues" id="bull-board">Bull Board (queues)</a>
  <a href="/metrics">Metrics</a>
  <span id="status">loading…</span>
</header>
<h2>Pools and instances</h2>
<p class="legend"><span style="color:#c33">— pending</span><span style="color:#36c">— desired</span><span style="color:#3a7">— ready</span>the scaler's decisions, up to <span id="reach">5</span> minutes back</p>
<div class="pools" id="pools"></div>
<h2>Jobs</h2>
<table id="jobs"><thead><tr><th>Job</th><th>Key</th><th>Source</th><th>State</th><th>Progress</th><th>Fops</th><th>Webhook</th><th>Created</th></tr></thead><tbody></tbody></table>
<h2>UFOP builds</h2>
<table id="builds"><thead><tr><th>UFOP</th><th>Version</th><th>State</th><th>Owner</th><th>Created</th><th></th></tr></thead><tbody></tbody></table>
<pre class="log" id="build-log" hidden></pre>
<script src="console.js"></script>
</body>
</html>
`;
