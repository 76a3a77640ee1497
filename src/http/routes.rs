//! Route registration that remembers what it registered, so the served routes can be compared
//! with the OpenAPI document (`http::openapi`), in a test and at start.
use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{web, FromRequest, Responder};

/// Every route of the API scope, registered in one place (`http::register`).
pub struct Routes<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    table: Vec<(Method, &'static str)>,
}

impl<'a> Routes<'a> {
    /// Registers into an actix scope.
    pub fn serve(cfg: &'a mut web::ServiceConfig) -> Routes<'a> {
        Routes { cfg: Some(cfg), table: Vec::new() }
    }

    /// Only lists the routes: (method, path under `/api/v1`).
    pub fn table(register: impl FnOnce(&mut Routes<'_>)) -> Vec<(Method, &'static str)> {
        let mut r = Routes { cfg: None, table: Vec::new() };
        register(&mut r);
        r.table
    }

    fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        if let Some(cfg) = self.cfg.as_deref_mut() {
            cfg.route(path, web::route().method(method.clone()).to(handler));
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
