use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = mimic::cli::Cli::parse();
    let logging = mimic_web::telemetry::LogOptions {
        format: cli.log_format,
        file: cli.log_file.clone(),
    };
    if let Err(error) = mimic_web::telemetry::init_with(&logging) {
        eprintln!("mimic: {error:#}");
        return std::process::ExitCode::FAILURE;
    }
    match mimic::cli::run(cli).await {
        Ok(code) => code,
        Err(error) => {
            // These say "mimic is …" themselves.
            if error.is::<mimic::endpoints::NotRunning>()
                || error.is::<mimic::lock::AlreadyRunning>()
            {
                eprintln!("{error}");
            } else {
                eprintln!("mimic: {error:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
