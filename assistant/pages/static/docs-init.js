// Swagger UI's start-up, as a file: the pages' CSP allows no inline script.
(function () {
  "use strict";
  var target = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: target.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
