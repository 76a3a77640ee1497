//! Route registration that remembers what it registered, so the served routes can be compared
//! with the OpenAPI document (`http::openapi`), in a test and at start. Routes of one path share
//! one resource, so a known path asked with another method is answered 405 with `Allow`.
use crate::error::{AppError, Code};
use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{web, FromRequest, HttpResponse, Responder, ResponseError};

/// Every route of the API scope, registered in one place (`http::register`).
pub struct Routes {
    table: Vec<(Method, &'static str)>,
    /// Per path, in the order first registered (routes are tried in that order).
    resources: Vec<(&'static str, Vec<actix_web::Route>)>,
}

impl Routes {
    /// Registers into an actix scope.
    pub fn serve(cfg: &mut web::ServiceConfig, register: impl FnOnce(&mut Routes)) {
        let mut r = Routes { table: Vec::new(), resources: Vec::new() };
        register(&mut r);
        for (path, routes) in r.resources {
            let allow: Vec<&str> = r.table.iter().filter(|(_, p)| *p == path).map(|(m, _)| m.as_str()).collect();
            let allow = allow.join(", ");
            let mut resource = web::resource(path);
            for route in routes {
                resource = resource.route(route);
            }
            cfg.service(resource.default_service(web::to(move || {
                let allow = allow.clone();
                async move { method_not_allowed(&allow) }
            })));
        }
    }

    /// Only lists the routes: (method, path under `/api/v1`).
    pub fn table(register: impl FnOnce(&mut Routes)) -> Vec<(Method, &'static str)> {
        let mut r = Routes { table: Vec::new(), resources: Vec::new() };
        register(&mut r);
        r.table
    }

    fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let route = web::route().method(method.clone()).to(handler);
        match self.resources.iter_mut().find(|(p, _)| *p == path) {
            Some((_, routes)) => routes.push(route),
            None => self.resources.push((path, vec![route])),
        }
        self.table.push((method, path));
        self
    }

    pub fn get<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, handler)
    }

    pub fn post<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, handler)
    }

    pub fn patch<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::PATCH, path, handler)
    }
}

fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut response = AppError::new(Code::MethodNotAllowed, format!("this path answers {allow}")).error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(allow) {
        response.headers_mut().insert(actix_web::http::header::ALLOW, value);
    }
    response
}
