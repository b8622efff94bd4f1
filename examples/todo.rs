//! `cargo run --example todo [ADDR]`: a small JSON service, as a library
//! user would write one: routes with typed ids, a body limit, shared state,
//! a nested router, a streamed export, static files, a custom 404, timing
//! on every answer, Ctrl-C to stop, and tests that need no socket (in
//! `tests/it/examples.rs`). Try:
//!
//! ```text
//! curl -d 'buy milk' http://127.0.0.1:8080/api/todos          # 201
//! curl http://127.0.0.1:8080/api/todos                        # the list
//! curl -X PATCH 'http://127.0.0.1:8080/api/todos/1?done=true'
//! curl http://127.0.0.1:8080/api/todos/x                      # 400: bad id
//! curl -N http://127.0.0.1:8080/api/export                    # streamed
//! curl http://127.0.0.1:8080/static/                          # files
//! ```

use http_from_scratch::config::Bind;
use http_from_scratch::files::{FileServer, FilesConfig};
use http_from_scratch::handler::Timed;
use http_from_scratch::json;
use http_from_scratch::{Request, Response, Router, Server, ServerConfig, Status};
use std::io::Write;
use std::sync::Mutex;

/// Longest title accepted, in bytes.
pub const MAX_TITLE: u64 = 1024;

/// One item.
#[derive(Debug, Clone)]
pub struct Todo {
    id: u64,
    title: String,
    done: bool,
}

impl Todo {
    fn to_json(&self) -> String {
        format!(
            "{{\"id\":{},\"title\":{},\"done\":{}}}",
            self.id,
            json::string(&self.title),
            self.done
        )
    }
}

/// Everything the handlers share: one value, given to the router once.
#[derive(Default)]
pub struct Todos {
    items: Mutex<Vec<Todo>>,
    next_id: Mutex<u64>,
}

fn todos<'r>(req: &'r Request<'_>) -> &'r Todos {
    req.state::<Todos>()
        .expect("the router is built with Todos")
}

/// `/todos...`, as the API router sees it (mounted under `/api`). Each
/// route names a plain function; closures work the same way.
fn api() -> Router {
    Router::new()
        .get("/todos", list)
        .post("/todos", create)
        .get("/todos/:id", show)
        .patch("/todos/:id", update)
        .delete("/todos/:id", remove)
        .get("/export", export)
}

fn list(req: &mut Request<'_>) -> Response {
    let items = todos(req).items.lock().unwrap();
    let list: Vec<String> = items.iter().map(Todo::to_json).collect();
    Response::json(Status::OK, format!("[{}]\n", list.join(",")))
}

/// The body is the title, as plain text, up to `MAX_TITLE` bytes.
fn create(req: &mut Request<'_>) -> Result<Response, Response> {
    let title = req.body().read_to_string(MAX_TITLE).map_err(|e| {
        let status = e.status();
        Response::text(status, format!("{status}: title too long or unreadable\n"))
    })?;
    let state = todos(req);
    let mut next_id = state.next_id.lock().unwrap();
    *next_id += 1;
    let todo = Todo {
        id: *next_id,
        title: title.trim().to_string(),
        done: false,
    };
    state.items.lock().unwrap().push(todo.clone());
    Ok(Response::json(Status::CREATED, todo.to_json())
        .with_header("Location", format!("/api/todos/{}", todo.id)))
}

fn show(req: &mut Request<'_>) -> Result<Response, Response> {
    let id: u64 = req.param_as("id")?;
    let items = todos(req).items.lock().unwrap();
    let todo = items.iter().find(|t| t.id == id).ok_or_else(not_found)?;
    Ok(Response::json(Status::OK, todo.to_json()))
}

/// `?done=true` or `?done=false`.
fn update(req: &mut Request<'_>) -> Result<Response, Response> {
    let id: u64 = req.param_as("id")?;
    let done = match req.query_value("done").as_deref() {
        Some("true") => true,
        Some("false") => false,
        _ => {
            let hint = "400: ?done=true or ?done=false\n";
            return Err(Response::text(Status::BAD_REQUEST, hint));
        }
    };
    let mut items = todos(req).items.lock().unwrap();
    let todo = items
        .iter_mut()
        .find(|t| t.id == id)
        .ok_or_else(not_found)?;
    todo.done = done;
    Ok(Response::json(Status::OK, todo.to_json()))
}

fn remove(req: &mut Request<'_>) -> Result<Response, Response> {
    let id: u64 = req.param_as("id")?;
    let mut items = todos(req).items.lock().unwrap();
    let before = items.len();
    items.retain(|t| t.id != id);
    if items.len() == before {
        return Err(not_found());
    }
    Ok(Response::new(Status::NO_CONTENT))
}

/// One line of JSON per item, written as it goes.
fn export(req: &mut Request<'_>) -> Response {
    let items = todos(req).items.lock().unwrap().clone();
    Response::stream_with(Status::OK, "application/x-ndjson", move |out| {
        for todo in &items {
            writeln!(out, "{}", todo.to_json())?;
            out.flush()?;
        }
        Ok(())
    })
}

fn not_found() -> Response {
    Response::error(Status::NOT_FOUND)
}

/// The whole application: the API under `/api`, files from `static_dir`
/// under `/static`, a JSON 404 for everything else. Separate from `main` so
/// tests can run it in-process.
pub fn app(static_dir: &std::path::Path) -> std::io::Result<Timed<Router>> {
    let files = FileServer::new(FilesConfig::new(static_dir)?);
    let router = Router::new()
        .with_state(Todos::default())
        .mount("/api", api())
        .mount("/static", files)
        .fallback(|_req| Response::json(Status::NOT_FOUND, "{\"error\":\"not found\"}\n"));
    Ok(Timed(router))
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    // First, so that a Ctrl-C while starting still stops the server cleanly.
    http_from_scratch::server::handle_signals();
    let config = ServerConfig {
        bind: Bind::Tcp(addr.parse().expect("ADDR like 127.0.0.1:8080")),
        ..ServerConfig::default()
    };
    let static_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/todo_static");
    let server = Server::bind(config, app(&static_dir)?)?;
    println!(
        "Listening on http://{}/ (Ctrl-C to stop)",
        server.local_addr()
    );
    let summary = server.run_until_signal()?;
    println!("Stopped after {} requests", summary.requests);
    Ok(())
}
