// Starts Swagger UI for /schema. It lives in a file, not inline in the page, so the page's
// Content-Security-Policy can forbid inline script; validatorUrl: null keeps the UI from
// sending the document to an outside validator.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
