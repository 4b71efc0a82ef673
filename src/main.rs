fn main() {
    comfy_dashboard::start();
}
