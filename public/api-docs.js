window.SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#ui", deepLinking: true });
