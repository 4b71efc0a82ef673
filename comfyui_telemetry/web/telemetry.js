// The way in from ComfyUI's own page (front end 1.27+, ComfyUI 0.3.64): a "Telemetry" sidebar tab
// that shows the dashboard (/telemetry/ui/, same origin, so its frame-ancestors 'self' allows it)
// and a View-menu command that opens it in a tab of its own. ComfyUI loads every .js file under the
// custom node's WEB_DIRECTORY; this is the only one. It only adds UI: no hooks, no network of its own.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";

const TAB_ID = "comfyui-telemetry";
const OPEN_COMMAND = "Telemetry.OpenDashboard";

// ComfyUI may be served under a sub-path (behind a proxy): api_base is that path, "" at the root.
function dashboardUrl() {
  return `${api.api_base || ""}/telemetry/ui/`;
}

function openInTab() {
  window.open(dashboardUrl(), "_blank", "noopener");
}

function renderTab(el) {
  el.replaceChildren();
  el.style.cssText = "display:flex;flex-direction:column;height:100%;min-height:0";
  const bar = document.createElement("div");
  bar.style.cssText = "display:flex;justify-content:flex-end;padding:4px 8px";
  const link = document.createElement("a");
  link.href = dashboardUrl();
  link.target = "_blank";
  link.rel = "noopener";
  link.textContent = "Open in a new tab \u2197";
  link.dataset.testid = "telemetry-open-tab";
  link.style.cssText = "color:inherit;font-size:12px";
  bar.append(link);
  const frame = document.createElement("iframe");
  frame.src = dashboardUrl();
  frame.title = "Telemetry dashboard";
  frame.dataset.testid = "telemetry-sidebar-frame";
  frame.style.cssText = "flex:1;width:100%;min-height:0;border:0";
  el.append(bar, frame);
}

app.registerExtension({
  name: "comfyui_telemetry.Dashboard",
  commands: [
    {
      id: OPEN_COMMAND,
      label: "Telemetry dashboard (new tab)",
      icon: "pi pi-external-link",
      function: openInTab,
    },
  ],
  menuCommands: [{ path: ["View"], commands: [OPEN_COMMAND] }],
  setup() {
    // Older front ends have no sidebar API: the menu command still works there.
    const manager = app.extensionManager;
    if (!manager || typeof manager.registerSidebarTab !== "function") return;
    manager.registerSidebarTab({
      id: TAB_ID,
      icon: "pi pi-chart-line",
      title: "Telemetry",
      tooltip: "Telemetry dashboard: every run on this server",
      type: "custom",
      // Called each time the tab opens, on a fresh element; closing the tab removes the frame
      // (and so closes its socket).
      render: renderTab,
    });
  },
});
