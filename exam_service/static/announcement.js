// The announcement's "Cetak" button (CSP: no inline handlers).
document.getElementById("print-button")?.addEventListener("click", () => window.print());
